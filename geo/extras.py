"""Optional dependencies, installed as extras of the package (pyproject.toml):

- ``production``: gunicorn, for ``wanbei-map serve --production``;
- ``postgis``: psycopg, for the PostGIS store (``WANBEI_DATABASE_URL``, ``wanbei-map db``);
- ``import``: openpyxl and charset-normalizer, for importing Excel workbooks and CSV files that
  are not UTF-8.

``make run`` and ``make test`` install them all. Where one is first needed, :func:`require`
imports it or raises :class:`MissingExtra`, whose message names the extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

PACKAGE = "wanbei-map"


class MissingExtra(ImportError):
    """An optional dependency is not installed; the message says how to install it."""


def require(module: str, extra: str, needed_for: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.partition(".")[0]
        raise MissingExtra(
            f"{needed_for} needs the optional package {top!r}, which is not installed: "
            f"pip install '{PACKAGE}[{extra}]'",
            name=top,
        ) from exc
