"""Keep the interface's message catalogs current.

The source language is Simplified Chinese (the msgids). ``en`` is translated by hand in
``webapp/translations/en/LC_MESSAGES/messages.po``; ``zh_Hant`` is filled by OpenCC from the
msgids, never typed. Steps: extract (babel.cfg) → update both catalogs → fill zh_Hant →
compile the .mo files. ``--check`` fails when an English message is missing or a catalog is
stale.

Usage: python scripts/i18n.py [--check]
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from layers.i18n import to_traditional

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "webapp" / "translations"
METHODS = [("webapp/**.py", "python"), ("webapp/templates/**.html", "jinja2")]


def extract() -> Catalog:
    """Every message the code and templates mark with ``_()`` / ``gettext``."""
    template = Catalog(project="wanbei-map", locale="zh_Hans")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), METHODS, options_map={"**.html": {"extensions": "jinja2.ext.i18n"}}
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def updated(locale: str, template: Catalog) -> Catalog:
    po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    if po.exists():
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
    else:
        catalog = Catalog(project="wanbei-map", locale=locale)
    catalog.update(template, no_fuzzy_matching=True)
    if locale == "zh_Hant":
        for message in catalog:
            if message.id:
                message.string = to_traditional(message.id)
    return catalog


def serialise(catalog: Catalog) -> tuple[bytes, bytes]:
    po, mo = io.BytesIO(), io.BytesIO()
    write_po(
        po,
        catalog,
        omit_header=False,
        sort_output=True,
        width=100,
        no_location=True,
        include_previous=False,
    )
    write_mo(mo, catalog)
    return po.getvalue(), mo.getvalue()


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a catalog is stale or English is missing",
    )
    opts = args.parse_args(argv)
    template = extract()
    status = 0
    for locale in ("en", "zh_Hant"):
        catalog = updated(locale, template)
        missing = [m.id for m in catalog if m.id and not m.string]
        if missing:
            print(
                f"{locale}: {len(missing)} message(s) without a translation:", *missing, sep="\n  "
            )
            status = 1
        po_bytes, mo_bytes = serialise(catalog)
        folder = TRANSLATIONS / locale / "LC_MESSAGES"
        po_path, mo_path = folder / "messages.po", folder / "messages.mo"
        current = (
            po_path.read_bytes() if po_path.exists() else b"",
            mo_path.read_bytes() if mo_path.exists() else b"",
        )
        if opts.check:
            if _messages(current[0], current[1], locale) != _messages(po_bytes, mo_bytes, locale):
                print(f"{locale}: catalog is stale; run python scripts/i18n.py")
                status = 1
            continue
        folder.mkdir(parents=True, exist_ok=True)
        po_path.write_bytes(po_bytes)
        mo_path.write_bytes(mo_bytes)
    return status


def _messages(po: bytes, mo: bytes, locale: str) -> tuple[dict, dict]:
    """The messages of a .po and a .mo file, without their headers (which carry dates)."""
    if not po or not mo:
        return {}, {}
    po_cat = read_po(io.BytesIO(po), locale=locale)
    mo_cat = read_mo(io.BytesIO(mo))
    return ({m.id: m.string for m in po_cat if m.id}, {m.id: m.string for m in mo_cat if m.id})


if __name__ == "__main__":
    sys.exit(main())
