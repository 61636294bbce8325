"""A reload never publishes a file still being written (issue 15, defect 5)."""

from __future__ import annotations

from webapp import create_app
from webapp.cli import main
from webapp.state import Reloader


def _rows(app) -> int:
    return len(app.extensions["wanbei"].dataset.layers["projects"])


def _watching(data_dir):
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir)})
    reloader = Reloader(app, app.extensions["wanbei.store"], 1.0)
    while reloader.check() or reloader._signature is None:  # its first looks: nothing new
        pass
    return app, reloader


def test_a_file_caught_mid_copy_is_not_published(data_copy):
    path = data_copy / "projects.csv"
    whole = path.read_bytes()
    lines = whole.splitlines(keepends=True)
    assert len(lines) >= 3
    app, reloader = _watching(data_copy)
    version, rows = app.extensions["wanbei"].dataset.version, _rows(app)
    with open(path, "wb") as out:  # copied in slowly: paused at a row boundary
        out.write(b"".join(lines[:2]))
        out.flush()
        assert not reloader.check(), "a file that changed since the last look is not taken"
        assert app.extensions["wanbei"].dataset.version == version
        out.write(b"".join(lines[2:]) + lines[1].replace(b"PR-", b"PR-copy-", 1))
    assert not reloader.check()  # changed again since the last look
    assert _rows(app) == rows
    assert reloader.check(), "stood still for an interval: taken"
    assert _rows(app) == rows + 1


def test_wanbei_map_reload_is_an_explicit_commit_taken_at_once(data_copy):
    path = data_copy / "projects.csv"
    app, reloader = _watching(data_copy)
    rows = _rows(app)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines) + lines[1].replace(b"PR-", b"PR-copy-", 1))
    assert main(["reload", "--data", str(data_copy)]) == 0
    assert reloader.check()
    assert _rows(app) == rows + 1
