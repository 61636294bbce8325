"""The work plans' targets and the programme's milestones: the rules joining their scopes to the
pairs and cities, and how far each 皖北 city's targets are done.

A target concerns the 皖北 cities by its ``scope_level``: ``province`` targets concern every city
of the programme, ``pair`` targets the city its pairing helps, ``city`` targets the city named by
``adcode``. A city's share of targets done counts only the targets whose status a source reports:
a target whose status is ``unknown`` is neither done nor not done, and a city none of whose targets
has a reported status has no share at all (``None``, shown as unknown, never as 0 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import Point

from geo.errors import Problem
from geo.schema import PLAN_STATUSES

#: The classes of a city's share of targets done, for the map's colouring (``unknown``: no
#: target of the city has a reported status).
PROGRESS_CLASSES = ("unknown", "none", "some", "most", "all")


def check_scopes(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Problems of ``plan.csv`` and ``milestones.csv`` whose scope names no pair or city.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        The typed tables, with their ``row_number`` column.

    Returns
    -------
    list of Problem
        A ``pair`` row without ``pairing_id``, a ``city`` row without ``adcode``, and a ``city``
        target whose ``adcode`` is no city a city pair helps.
    """
    problems: list[Problem] = []
    pairings = tables["pairings"]
    helped = set(pairings.loc[pairings["level"] == "city", "helped_adcode"])
    for name in ("plan", "milestones"):
        frame = tables.get(name)
        if frame is None or "scope_level" not in frame.columns:
            continue
        for row in frame.itertuples():
            where = (f"{name}.csv", int(row.row_number))
            if row.scope_level == "pair" and pd.isna(row.pairing_id):
                problems.append(
                    Problem(*where, "pairing_id", "is empty but scope_level is pair: name the pair")
                )
            if row.scope_level == "city" and pd.isna(row.adcode):
                problems.append(
                    Problem(*where, "adcode", "is empty but scope_level is city: name the city")
                )
            elif (
                name == "plan" and row.scope_level == "city" and helped and row.adcode not in helped
            ):
                problems.append(
                    Problem(
                        *where,
                        "adcode",
                        f"{row.adcode} is not a city helped by a city pair "
                        f"(one of {', '.join(sorted(helped))})",
                    )
                )
    return problems


@dataclass(frozen=True)
class CityProgress:
    """How far the targets of one 皖北 city are done in one plan year."""

    adcode: str
    pairing_id: str
    plan_year: int
    counts: dict[str, int]  # status -> number of the city's targets with it
    target_ids: tuple[str, ...]

    @property
    def targets(self) -> int:
        return sum(self.counts.values())

    @property
    def known(self) -> int:
        """Targets whose status a source reports."""
        return self.targets - self.counts.get("unknown", 0)

    @property
    def share_done(self) -> float | None:
        """Done among the targets with a reported status, 0–1; None when none has one."""
        return self.counts.get("done", 0) / self.known if self.known else None

    @property
    def progress(self) -> str:
        """The class of :data:`PROGRESS_CLASSES` the share falls in."""
        share = self.share_done
        if share is None:
            return "unknown"
        if share == 0:
            return "none"
        if share < 0.5:
            return "some"
        return "all" if share == 1 else "most"


def _concerns(row, adcode: str, pairing_id: str, pair_city: dict[str, str]) -> bool:
    if row.scope_level == "province":
        return True
    if row.scope_level == "pair":
        return pair_city.get(row.pairing_id, "") == adcode or row.pairing_id == pairing_id
    return row.adcode == adcode


def city_progress(
    plan: pd.DataFrame, pairings: pd.DataFrame, plan_year: int | None = None
) -> list[CityProgress]:
    """How far each helped city's targets of ``plan_year`` are done.

    Parameters
    ----------
    plan : pandas.DataFrame
        The ``plan`` table.
    pairings : pandas.DataFrame
        The ``pairings`` table: the cities are the helped units of its city pairs, in its order.
    plan_year : int, optional
        The plan year; by default the latest in ``plan``.

    Returns
    -------
    list of CityProgress
        One per helped city (an empty list when the plan has no target).
    """
    if plan.empty:
        return []
    year = int(plan["year"].max()) if plan_year is None else plan_year
    targets = plan[plan["year"] == year]
    city = pairings[pairings["level"] == "city"]
    # a county pair's targets count for the city that holds its helped unit
    pair_city = {}
    for row in pairings.itertuples():
        for c in city.itertuples():
            if str(row.helped_adcode).startswith(str(c.helped_adcode)[:4]):
                pair_city[row.id] = c.helped_adcode
    out = []
    for c in city.itertuples():
        mine = [r for r in targets.itertuples() if _concerns(r, c.helped_adcode, c.id, pair_city)]
        counts = {s: sum(1 for r in mine if r.status == s) for s in PLAN_STATUSES}
        out.append(
            CityProgress(
                adcode=c.helped_adcode,
                pairing_id=c.id,
                plan_year=year,
                counts=counts,
                target_ids=tuple(r.id for r in mine),
            )
        )
    return out


def progress_layer(
    tables: dict[str, pd.DataFrame],
    boundaries: gpd.GeoDataFrame,
    seats: dict[str, tuple[float, float]],
    names: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """Each helped city with its share of the latest plan year's targets done: its boundary
    polygon (its seat where the boundaries have none), for the map's colouring.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        The typed tables (``plan`` and ``pairings`` are read).
    boundaries : geopandas.GeoDataFrame
        The boundary polygons (``adcode``, geometry).
    seats : dict of str to (lon, lat)
        The seat of each place.
    names : pandas.DataFrame
        ``name_zh`` and ``name_en`` of each place, indexed by adcode.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id`` (the city's adcode), names, ``pairing_id``, ``plan_year``, the number of targets
        by status, ``targets``, ``known``, ``share_done`` (percent; NaN when unknown),
        ``progress`` (one of :data:`PROGRESS_CLASSES`), ``target_ids`` and ``source``.
    """
    polygons = dict(zip(boundaries["adcode"], boundaries.geometry, strict=True))
    plan = tables["plan"]
    rows, geoms = [], []
    for c in city_progress(plan, tables["pairings"]):
        mine = plan[plan["id"].isin(c.target_ids)]
        sources = [*mine["source"].dropna(), *mine["status_source"].dropna()]
        parts = dict.fromkeys(p.strip() for s in sources for p in str(s).split(" ; ") if p.strip())
        share = c.share_done
        rows.append(
            {
                "id": c.adcode,
                "name_zh": names.loc[c.adcode, "name_zh"],
                "name_en": names.loc[c.adcode, "name_en"],
                "pairing_id": c.pairing_id,
                "plan_year": c.plan_year,
                **c.counts,
                "targets": c.targets,
                "known": c.known,
                "share_done": np.nan if share is None else round(100 * share, 1),
                "progress": c.progress,
                "target_ids": " ; ".join(c.target_ids),
                "source": " ; ".join(parts),
            }
        )
        geoms.append(polygons.get(c.adcode) or Point(seats[c.adcode]))
    columns = ["id", "name_zh", "name_en", "pairing_id", "plan_year", *PLAN_STATUSES]
    columns += ["targets", "known", "share_done", "progress", "target_ids", "source"]
    frame = pd.DataFrame(rows, columns=columns)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")
