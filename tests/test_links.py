"""Link geometry: geodesic lines from helping to helped, with their length."""

from __future__ import annotations

import pytest
from pyproj import Geod

from geo.dataset import load_dataset
from geo.links import geodesic_km, geodesic_line, nearest

NINGBO, BENGBU = (121.618385, 29.862575), (117.382712, 32.918320)


def test_line_runs_from_start_to_end_and_is_densified():
    line = geodesic_line(NINGBO, BENGBU, segment_km=10)
    coords = list(line.coords)
    assert coords[0] == NINGBO and coords[-1] == BENGBU
    km = geodesic_km(NINGBO, BENGBU)
    assert len(coords) - 1 == pytest.approx(km / 10, abs=1)
    # every vertex lies on the geodesic: the sum of its pieces equals the whole
    geod = Geod(ellps="WGS84")
    assert geod.line_length(*zip(*coords, strict=True)) / 1000 == pytest.approx(km, rel=1e-6)


def test_length_matches_an_independent_computation():
    _, _, metres = Geod(ellps="WGS84").inv(*NINGBO, *BENGBU)
    assert geodesic_km(NINGBO, BENGBU) == pytest.approx(metres / 1000)
    assert 480 < geodesic_km(NINGBO, BENGBU) < 540


def test_bad_points_are_refused_with_what_was_given():
    with pytest.raises(
        ValueError,
        match=r"Expected a \(lon, lat\) pair of finite numbers for "
        r"start, got \(nan, 30\.0\)",
    ):
        geodesic_line((float("nan"), 30.0), BENGBU)
    with pytest.raises(ValueError, match="Expected lon in"):
        geodesic_km((200.0, 30.0), BENGBU)
    with pytest.raises(ValueError, match="segment_km must be positive"):
        geodesic_line(NINGBO, BENGBU, segment_km=0)
    with pytest.raises(ValueError, match="at least one candidate"):
        nearest(NINGBO, [])


def test_nearest_by_distance_on_the_ellipsoid():
    assert nearest((116.5, 31.7), [(121.2, 31.0), (117.22, 31.82), (118.43, 31.35)]) == 1


def test_pairing_links_point_from_helping_to_helped(app):
    layers = app.extensions["wanbei"].dataset.layers
    places = layers["places"].set_index("adcode").geometry
    for row in layers["pairings"].itertuples():
        start, end = row.geometry.coords[0], row.geometry.coords[-1]
        assert start == (places[row.helping_adcode].x, places[row.helping_adcode].y)
        assert end == (places[row.helped_adcode].x, places[row.helped_adcode].y)
        assert row.length_km == pytest.approx(geodesic_km(start, end), abs=0.05)


def test_corridor_link_to_luan_starts_where_the_data_says_else_at_the_nearest_member(data_copy):
    from tests.helpers import set_cell

    corridor = load_dataset(data_copy).layers["corridor"]
    link = corridor[corridor.kind == "link"].iloc[0]
    # the data's link_from: 松江, the seat of the corridor's joint office; a drawing choice
    assert (link.from_adcode, link.adcode, link.link_drawn) == ("310117", "341500", "link_from")
    assert link.status == "in_progress"
    members = corridor[corridor.kind == "member"]
    assert list(members.seq) == list(range(1, 10))
    # Without link_from the link is computed from the nearest member (合肥), and says so
    set_cell(data_copy / "corridor.csv", "adcode", "341500", "link_from", "")
    link = load_dataset(data_copy).layers["corridor"].set_index("adcode").loc["341500"]
    assert (link.from_adcode, link.link_drawn) == ("340100", "nearest_member")
    # Take 合肥 out of the members: the link now starts from 芜湖, the next nearest.
    set_cell(data_copy / "corridor.csv", "adcode", "340100", "role", "link_target")
    set_cell(data_copy / "corridor.csv", "adcode", "340100", "seq", "")
    set_cell(data_copy / "corridor.csv", "adcode", "340100", "status", "in_progress")
    corridor = load_dataset(data_copy).layers["corridor"]
    links = corridor[corridor.kind == "link"].set_index("adcode")
    assert links.loc["341500", "from_adcode"] == "340200"
    assert len(corridor[corridor.kind == "member"]) == 8
