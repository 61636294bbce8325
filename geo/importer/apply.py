"""Step 6: write a planned import (atomically, with backups and history), to the data
directory or first to a PostGIS store."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from geo.dataset import BOUNDARIES_FILE, data_version
from geo.importer.problems import ImportPlan
from geo.schema import TABLES


def apply_import(plan: ImportPlan, user: str | None = None) -> dict:
    """Write the plan's files atomically with backups; append the history record.

    Parameters
    ----------
    plan : ImportPlan
        From :func:`plan_import`, with ``contents`` to write.
    user : str, optional
        Who imported (stored in the history record).

    Returns
    -------
    dict
        The history record.
    """
    from geo.writer import write_files  # noqa: PLC0415

    if not plan.contents:
        raise ValueError("the plan has nothing to write")
    if data_version(Path(plan.data_dir)) != plan.version_before:
        raise RuntimeError(
            f"{plan.data_dir} changed since the import was planned; run the import again"
        )
    record = {
        "action": "import",
        "layer": plan.layer,
        "import": plan.file,
        "added": len(plan.added),
        "changed": len(plan.changed),
        "removed": len(plan.removed),
        "rejected": len(plan.rejected_rows),
        "ids": {"added": plan.added, "changed": plan.changed, "removed": plan.removed},
        "places_added": plan.places_added,
        "user": user,
        "version_before": plan.version_before,
        "version_after": plan.version_after,
    }
    return write_files(plan.data_dir, plan.contents, record).record


def apply_import_to_database(plan: ImportPlan, store: object, user: str | None = None) -> dict:
    """Write the plan to a PostGIS store in one transaction, then to the data directory.

    The database must hold the data the plan was made against (the data directory's version
    before the import). The whole resulting dataset is validated and written to the database
    in one transaction (:meth:`geo.postgis.PostgisStore.write_dir`); only when that succeeded
    are the files written, as by :func:`apply_import`.

    Parameters
    ----------
    plan : ImportPlan
        From :func:`plan_import`, with ``contents`` to write.
    store : geo.postgis.PostgisStore
        The database (anything with ``version()`` and ``write_dir(dir, source=...)``).
    user : str, optional
        Who imported (stored in the history record).

    Returns
    -------
    dict
        The history record.

    Raises
    ------
    RuntimeError
        If the database or the data directory no longer hold the data the plan was made
        against; nothing is written.
    DataError
        If the resulting dataset does not validate; nothing is written.
    """
    if not plan.contents:
        raise ValueError("the plan has nothing to write")
    data_dir = Path(plan.data_dir)
    held = store.version()  # type: ignore[attr-defined]
    if held != plan.version_before:
        raise RuntimeError(
            f"{store} holds data version {held}, not the version {plan.version_before} of "
            f"{data_dir} that the import was planned against: load the directory first "
            f"(wanbei-map db load {data_dir}) and run the import again"
        )
    with tempfile.TemporaryDirectory(prefix="wanbei-import-") as tmp:
        staged = Path(tmp)
        for name in [t.filename for t in TABLES.values()] + [BOUNDARIES_FILE]:
            if (data_dir / name).is_file():
                shutil.copy2(data_dir / name, staged / name)
        for name, body in plan.contents.items():
            (staged / name).write_bytes(body)
        if data_version(staged) != plan.version_after:
            raise RuntimeError(f"{data_dir} changed since the import was planned; run it again")
        store.write_dir(staged, source=str(data_dir.resolve()))  # type: ignore[attr-defined]
    return apply_import(plan, user=user)
