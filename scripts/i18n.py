"""Keep the interface's message catalogs current.

The source language is Simplified Chinese (the msgids). Two domains, both extracted by Babel as
``babel.cfg`` says: ``messages`` (Python and templates, served by Flask-Babel) and ``js`` (the
scripts' ``wanbei.t("…")`` words, extracted by Babel's JavaScript extractor; the page carries
them translated for ``wanbei.t``: :func:`webapp.i18n.js_messages`). ``en`` is translated by hand
in ``webapp/translations/en/LC_MESSAGES/<domain>.po``; ``zh_Hant`` is filled by OpenCC from the
msgids, never typed. Steps: extract → update both catalogs of each domain → fill zh_Hant →
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
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from layers.i18n import to_traditional

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "webapp" / "translations"
LOCALES = ("en", "zh_Hant")
#: The scripts' translating function and its two local wrappers (each takes the msgid first).
JS_KEYWORDS = {"wanbei.t": None, "t": None, "say": None}
DOMAINS = ("messages", "js")


def _mapping() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        return parse_mapping_cfg(f, filename="babel.cfg")


def extract(domain: str = "messages") -> Catalog:
    """Every message of ``domain``: ``messages`` (``_()``/``gettext`` in the code and templates)
    or ``js`` (``wanbei.t("…")`` in the scripts), as Babel extracts them per ``babel.cfg``."""
    methods, options = _mapping()
    js = domain == "js"
    methods = [(pattern, m) for pattern, m in methods if (m == "javascript") == js]
    keywords = JS_KEYWORDS if js else DEFAULT_KEYWORDS
    template = Catalog(project="wanbei-map", locale="zh_Hans", domain=domain)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), methods, options_map=options, keywords=keywords
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def updated(locale: str, template: Catalog, domain: str = "messages") -> Catalog:
    """The catalog of ``locale`` and ``domain`` brought up to ``template``."""
    po = TRANSLATIONS / locale / "LC_MESSAGES" / f"{domain}.po"
    if po.exists():
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale, domain=domain)
    else:
        catalog = Catalog(project="wanbei-map", locale=locale, domain=domain)
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
        ignore_obsolete=True,
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
    status = 0
    for domain in DOMAINS:
        template = extract(domain)
        for locale in LOCALES:
            status |= _write(locale, domain, updated(locale, template, domain), opts.check)
    return status


def _write(locale: str, domain: str, catalog: Catalog, check: bool) -> int:
    status = 0
    missing = [m.id for m in catalog if m.id and not m.string]
    if missing:
        print(
            f"{locale}/{domain}: {len(missing)} message(s) without a translation:",
            *missing,
            sep="\n  ",
        )
        status = 1
    po_bytes, mo_bytes = serialise(catalog)
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    po_path, mo_path = folder / f"{domain}.po", folder / f"{domain}.mo"
    current = (
        po_path.read_bytes() if po_path.exists() else b"",
        mo_path.read_bytes() if mo_path.exists() else b"",
    )
    if check:
        if _messages(*current, locale) != _messages(po_bytes, mo_bytes, locale):
            print(f"{locale}/{domain}: catalog is stale; run python scripts/i18n.py")
            status = 1
        return status
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
