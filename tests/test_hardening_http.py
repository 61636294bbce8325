"""HTTP details of issue 15 (defects 10 and 15): Last-Modified when the data goes back in time,
Vary on negotiated language, bounded error bodies, Range on whole-file downloads."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from webapp import create_app, state


def _reload(app) -> None:
    reloader = state.Reloader(app, app.extensions["wanbei.store"], 0.05)
    for _ in range(40):  # a change is taken once the files have stood still for an interval
        if reloader.check():
            return
        time.sleep(0.05)
    pytest.fail("the new data was not taken")


def test_if_modified_since_never_hides_data_copied_back_with_its_old_times(data_copy, tmp_path):
    backup = tmp_path / "parks.csv"
    shutil.copy2(data_copy / "parks.csv", backup)
    os.utime(backup, (1_600_000_000, 1_600_000_000))  # a backup from 2020
    app = create_app({"TESTING": True, "DATA_DIR": str(data_copy)})
    client = app.test_client()
    url = "/downloads/parks.csv"
    original = client.get(url).data
    text = (data_copy / "parks.csv").read_text(encoding="utf-8")
    renamed = text.replace("闵行·淮南科创产业园", "闵行·淮南科创园", 1)
    (data_copy / "parks.csv").write_text(renamed, encoding="utf-8")
    _reload(app)
    newer = client.get(url)
    assert newer.data != original
    shutil.copy2(backup, data_copy / "parks.csv")  # the backup back, with its 2020 time
    _reload(app)
    again = client.get(url, headers={"If-Modified-Since": newer.headers["Last-Modified"]})
    assert again.status_code == 200, "the restored data is not the copy the client holds"
    assert again.data == original
    assert again.last_modified > newer.last_modified
    same = client.get(url, headers={"If-None-Match": newer.headers["ETag"]})
    assert same.status_code == 200


@pytest.mark.parametrize("path", ["/stats", "/table", "/about", "/", "/embed", "/no-such-page"])
def test_a_language_chosen_from_accept_language_varies_on_it(client, path):
    r = client.get(path, headers={"Accept-Language": "en"})
    assert "Accept-Language" in r.vary, (path, r.headers.get("Vary"))


def test_stats_in_english_and_chinese_are_two_cacheable_answers(client):
    en = client.get("/stats", headers={"Accept-Language": "en"})
    zh = client.get("/stats", headers={"Accept-Language": "zh-CN"})
    assert en.data != zh.data
    assert "Accept-Language" in en.vary and "Accept-Language" in zh.vary


BIG = "x" * 100_000


@pytest.mark.parametrize(
    "path",
    [
        f"/ogc/collections/parks/items/{BIG}",
        f"/ogc/collections/{BIG}/items",
        f"/api/layers/parks/items/{BIG}.json",
        f"/downloads/parks.csv?{BIG}=1",
        f"/ogc/collections/parks/items?bbox={BIG}",
        f"/table?pair={BIG}",
        f"/?pair={BIG}",
    ],
)
def test_an_error_never_echoes_a_huge_parameter(client, path):
    r = client.get(path)
    assert 400 <= r.status_code < 500
    assert len(r.data) < 5_000, (path, len(r.data))
    assert "more characters" in r.get_data(as_text=True)


@pytest.mark.parametrize("name", ["parks.csv", "projects.kml", "parks.gpkg", "wanbei-data.zip"])
def test_a_whole_file_download_answers_a_range(client, name):
    url = f"/downloads/{name}"
    whole = client.get(url)
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = client.get(url, headers={"Range": "bytes=10-29"})
    assert part.status_code == 206
    assert part.data == whole.data[10:30]
    assert part.headers["Content-Range"] == f"bytes 10-29/{len(whole.data)}"
    resumed = client.get(url, headers={"Range": "bytes=10-", "If-Range": whole.headers["ETag"]})
    assert resumed.status_code == 206 and resumed.data == whole.data[10:]
    changed = client.get(url, headers={"Range": "bytes=10-", "If-Range": 'W/"old"'})
    assert changed.status_code == 200 and changed.data == whole.data
    beyond = client.get(url, headers={"Range": f"bytes={len(whole.data) + 5}-"})
    assert beyond.status_code == 416
