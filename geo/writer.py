"""Write data files so that a crash never leaves a broken or half-written file, and keep history.

Each file is written to a temporary file in the same directory, flushed and ``fsync``-ed, then
moved over the old one with :func:`os.replace` (atomic on POSIX), and the directory is
``fsync``-ed so that the rename itself survives a power cut. Before the move, the current file is
kept as ``.backup/<name>.<UTC timestamp>`` (a hard link to the old bytes where the file system
allows, else a copy). After every file is in place, one JSON line describing the change is
appended to ``history.jsonl``.

Several files are replaced one after the other, in the order given: the caller orders them so
that every intermediate state is a valid dataset (``places.csv`` before the table that refers to
the places it gains). A reader (the web app's reloader) therefore only ever sees the old state,
the new state, or a valid state in between.

Neither ``history.jsonl`` nor ``.backup/`` is data: :func:`geo.dataset.data_version` hashes the
schema's CSV files and ``boundaries.geojson`` only, so writing them does not change the version.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["BACKUP_DIR", "HISTORY_FILE", "atomic_write", "read_history", "write_files"]

BACKUP_DIR = ".backup"
HISTORY_FILE = "history.jsonl"
_TMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class Written:
    """What :func:`write_files` did: the files replaced, their backups, the history record."""

    files: tuple[str, ...]
    backups: dict[str, str]
    record: dict


def atomic_write(path: str | Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` atomically (temporary file, fsync, rename, fsync directory).

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write; its directory must exist.
    data : bytes
        The new content.
    """
    path = Path(path)
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_files(
    data_dir: str | Path,
    contents: Mapping[str, bytes],
    record: dict,
    *,
    now: datetime | None = None,
) -> Written:
    """Replace files of ``data_dir`` atomically, keep backups and append a history record.

    Parameters
    ----------
    data_dir : str or pathlib.Path
        The data directory.
    contents : mapping of str to bytes
        File name (inside ``data_dir``) → new content, replaced in this order.
    record : dict
        What to log (layer, counts, user…): stored in ``history.jsonl`` with ``when``,
        ``files`` and ``backups`` added.
    now : datetime, optional
        The time of the change (UTC); defaults to now.

    Returns
    -------
    Written
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data directory {data_dir} does not exist")
    for name in contents:
        if Path(name).name != name or name.startswith("."):
            raise ValueError(f"expected a plain file name inside {data_dir}, got {name!r}")
    now = now or datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    _remove_stale_temps(data_dir)
    temps = {name: _write_temp(data_dir / name, data) for name, data in contents.items()}
    backups: dict[str, str] = {}
    try:
        for name, tmp in temps.items():
            target = data_dir / name
            if target.exists():
                backups[name] = _backup(target, data_dir / BACKUP_DIR, stamp)
            os.replace(tmp, target)
            _fsync_dir(data_dir)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    full = {
        "when": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        **record,
        "files": list(contents),
        "backups": backups,
    }
    append_history(data_dir, full)
    return Written(tuple(contents), backups, full)


def append_history(data_dir: str | Path, record: dict) -> None:
    """Append one JSON line to ``history.jsonl`` (created if missing), flushed and fsync-ed.

    A line is written with a single ``write`` call in append mode, so concurrent writers do not
    interleave within a line; a crash can at worst leave a last line without its newline, which
    :func:`read_history` skips.
    """
    path = Path(data_dir) / HISTORY_FILE
    line = json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"
    with open(path, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def read_history(data_dir: str | Path) -> list[dict]:
    """The records of ``history.jsonl``, oldest first; unreadable lines are skipped."""
    path = Path(data_dir) / HISTORY_FILE
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def _write_temp(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}.{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return tmp


def _backup(target: Path, backup_dir: Path, stamp: str) -> str:
    backup_dir.mkdir(exist_ok=True)
    backup = backup_dir / f"{target.name}.{stamp}"
    try:
        os.link(target, backup)  # the old bytes themselves: the rename leaves them untouched
    except OSError:
        shutil.copy2(target, backup)
        with open(backup, "rb") as f:
            os.fsync(f.fileno())
    _fsync_dir(backup_dir)
    return f"{BACKUP_DIR}/{backup.name}"


def _remove_stale_temps(data_dir: Path) -> None:
    """Remove temporary files a killed writer left behind (never read as data)."""
    for tmp in data_dir.glob(f"{_TMP_PREFIX}*"):
        pid = tmp.suffix.lstrip(".")
        if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
            continue
        tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
