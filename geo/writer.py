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

No change lands without its history line. Once every temporary file is written, a journal
(``.pending.json``: the history record and which temporary file becomes which file) is written
and fsync-ed: that is the commit. Then the files are moved, the history line appended and the
journal removed. A writer killed before the journal leaves the data as it was (its temporary
files are removed by the next writer); killed after it, the change is completed by
:func:`recover` — moving the files still waiting, appending the history line if it is missing —
which the next write, the next import and ``wanbei-map reload``/``serve`` call first.

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

__all__ = [
    "BACKUP_DIR",
    "HISTORY_FILE",
    "JOURNAL_FILE",
    "atomic_write",
    "read_history",
    "recover",
    "write_files",
]

BACKUP_DIR = ".backup"
HISTORY_FILE = "history.jsonl"
JOURNAL_FILE = ".pending.json"
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
    recover(data_dir)
    _remove_stale_temps(data_dir)
    temps = {name: _write_temp(data_dir / name, data) for name, data in contents.items()}
    backups = {
        name: f"{BACKUP_DIR}/{name}.{stamp}" for name in contents if (data_dir / name).exists()
    }
    full = {
        "when": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        **record,
        "files": list(contents),
        "backups": backups,
    }
    try:
        _write_journal(data_dir, full, {name: tmp.name for name, tmp in temps.items()})
    except BaseException:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        raise
    recover(data_dir)  # the commit is made: move the files, append the history line
    return Written(tuple(contents), backups, full)


def recover(data_dir: str | Path) -> dict | None:
    """Complete a change whose journal was written (see the module's docstring).

    Moves the temporary files the journal names that are still there (each file's backup made
    first), appends the journal's history record unless the history already ends with it, and
    removes the journal. A journal that cannot be read was never committed: it is removed and
    its temporary files are left to the stale-file sweep.

    Returns
    -------
    dict or None
        The history record of the completed change, or None when there was nothing to do.
    """
    data_dir = Path(data_dir)
    path = data_dir / JOURNAL_FILE
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
        record, temps = journal["record"], journal["temps"]
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):  # cut short by a crash: never committed
        path.unlink(missing_ok=True)
        return None
    for name, tmp_name in temps.items():
        tmp, target = data_dir / tmp_name, data_dir / name
        if not tmp.exists():
            continue  # moved already
        backup = record.get("backups", {}).get(name)
        if backup and target.exists() and not (data_dir / backup).exists():
            _backup(target, data_dir / backup)
        os.replace(tmp, target)
        _fsync_dir(data_dir)
    history = read_history(data_dir)
    if not history or history[-1] != record:
        append_history(data_dir, record)
    path.unlink(missing_ok=True)
    _fsync_dir(data_dir)
    return record


def _write_journal(data_dir: Path, record: dict, temps: dict[str, str]) -> None:
    """Write the journal in place (not renamed: a journal cut short does not parse, and is not
    a commit), flushed and fsync-ed, and the directory with it."""
    body = json.dumps({"record": record, "temps": temps}, ensure_ascii=False)
    with open(data_dir / JOURNAL_FILE, "w", encoding="utf-8") as f:
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    _fsync_dir(data_dir)


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


def _backup(target: Path, backup: Path) -> None:
    backup.parent.mkdir(exist_ok=True)
    try:
        os.link(target, backup)  # the old bytes themselves: the rename leaves them untouched
    except OSError:
        shutil.copy2(target, backup)
        with open(backup, "rb") as f:
            os.fsync(f.fileno())
    _fsync_dir(backup.parent)


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
