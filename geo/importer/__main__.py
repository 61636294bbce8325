"""``python -m geo.importer`` prints the header tables of ``docs/import.md``."""

from geo.importer.headers import markdown

print(markdown())
