"""Step 4, per layer: how a row of each layer is read (ids, pairings, places, the fields)."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable

from geo.gazetteer import PlaceError, normalise_text, short_name
from geo.importer.headers import PROGRAMME_PROVINCES
from geo.importer.normalise import place_level
from geo.importer.rows import (
    Context,
    Row,
    fill_name_en,
    fill_source,
    read_amount,
    read_area,
    read_date,
    read_enum,
    read_id,
    read_int,
    read_pairing,
    read_place,
    read_point,
    read_text,
    read_year,
)

_ID_PREFIX = {"projects": "PR", "parks": "PK", "partnerships": "PS"}

# --- the layers ----------------------------------------------------------------------------------


def generated_id(layer: str, pairing_id: str, name_zh: str) -> str:
    digest = hashlib.sha1(normalise_text(name_zh).encode()).hexdigest()[:8]
    tail = pairing_id[2:] if pairing_id.startswith("P-") else pairing_id
    return f"{_ID_PREFIX[layer]}-{tail}-{digest}"


def _match_by_name(ctx: Context, pairing_id: str | None, name_zh: str) -> dict | None:
    key = normalise_text(name_zh)
    found = [
        r
        for r in ctx.tables[ctx.layer]
        if normalise_text(r.get("name_zh", "")) == key
        and (pairing_id is None or r.get("pairing_id") == pairing_id)
    ]
    return found[0] if len(found) == 1 else None


def _pairing_and_identity(row: Row, ctx: Context, host: str | None) -> str | None:
    """Read the row's pair, identify the row by it, and set ``pairing_id``.

    An existing row keeps its pair when the sheet gives none; a pair that is neither given nor
    known is reported. Returns the pair's id, ``""`` when the given one was reported, or None.
    """
    pairing_id = read_pairing(row, ctx, host=host)
    if row.has("pairing") and pairing_id is None:
        pairing_id = ""  # reported by read_pairing
    _identify(row, ctx, pairing_id or None)
    if pairing_id is None and row.existing:
        pairing_id = row.existing.get("pairing_id")
    if pairing_id:
        row.set("pairing_id", pairing_id, "pairing")
    elif pairing_id is None:
        row.problem("pairing", "is missing", "give the pair, e.g. 宁波—蚌埠", value="")
    return pairing_id


def _identify(row: Row, ctx: Context, pairing_id: str | None) -> None:
    """Set ``row.id`` and ``row.existing``: by id, else by (pairing, name), else a new id."""
    given = read_id(row)
    if row.has("id") and given is None:
        return
    if given:
        row.id = given
        row.existing = ctx.existing.get(given)
        return
    name = row.text("name_zh")
    if not name:
        return
    match = _match_by_name(ctx, pairing_id, name)
    if match is not None:
        row.id, row.existing = match["id"], match
    elif pairing_id:
        row.id = generated_id(ctx.layer, pairing_id, name)
        row.existing = ctx.existing.get(row.id)


def _sited(row: Row, ctx: Context) -> None:
    """Projects and parks: a named point in a unit of a pairing."""
    layer = ctx.layer
    host_hint = None
    if row.has("host"):
        try:
            host_hint = ctx.resolve_place(row.text("host")).adcode
        except PlaceError:
            host_hint = None
    pairing_id = _pairing_and_identity(row, ctx, host=host_hint)
    helped = ctx.helped_of(pairing_id) if pairing_id else None
    host = read_place(row, "host", ctx, within=[helped] if helped else None)
    if host:
        row.set("host_adcode", host, "host")
        row.places.add(host)
    elif not row.has("host") and not (row.existing and row.existing.get("host_adcode")) and helped:
        row.set("host_adcode", helped)
        row.note(
            None,
            f"no 所在地: placed in {ctx.gazetteer.qualified_name(helped)}, "
            "the helped unit of its pairing",
        )
    read_text(row, "name_zh")
    if not row.current("name_zh"):
        row.problem("name_zh", "is missing", "give the Chinese name", value="")
    fill_name_en(row, ctx)
    read_point(row, ctx)
    if row.values.get("precision") == "unit_seat" and row.values.get("lon"):
        # drawn at the unit's seat: the coordinates (the app's downloads give the seat) are not
        # the site's, and are not stored
        row.set("lon", "")
        row.set("lat", "")
        row.notes = [n for n in row.notes if not n.reason.startswith("converted from")]
    if "lon" not in row.values and not (row.existing and row.existing.get("lon")):
        if "precision" in row.values and row.values["precision"] != "unit_seat":
            row.problem(
                "precision",
                f"is {row.values['precision']} but no coordinates are given",
                "give 经度/纬度, or leave 精度 empty",
            )
        row.set("precision", "unit_seat", "precision" if row.has("precision") else None)
        if not row.existing or row.existing.get("precision") != "unit_seat":
            where = row.current("host_adcode")
            if where in ctx.gazetteer:
                row.note(
                    None,
                    f"no coordinates: placed at the seat of "
                    f"{ctx.gazetteer.qualified_name(where)} (precision unit_seat)",
                )
    read_enum(row, "status", layer, "status", f"{layer}.status")
    if not row.current("status"):
        row.set("status", "unknown")
    fill_source(row, ctx)
    read_text(row, "note")
    read_text(row, "note_en")
    if layer == "projects":
        _project_fields(row, ctx)
    else:
        _park_fields(row, ctx)
    if row.id is None and not row.problems:
        row.problem(
            "name_zh",
            "cannot identify the row",
            "give an id or the Chinese name and the pair",
            value="",
        )


def _project_fields(row: Row, ctx: Context) -> None:
    read_text(row, "sector")
    read_text(row, "company")
    read_text(row, "date_event")
    read_year(row, "year", "year")
    read_date(row, "date", "date")
    read_amount(row)
    for name in ("investment_kind", "investor_link", "confidence"):
        read_enum(row, name, "projects", name, name)
    if row.has("park"):
        text = row.text("park")
        parks = ctx.tables["parks"]
        found = [p for p in parks if p["id"] == text] or [
            p
            for p in parks
            if normalise_text(text)
            in {normalise_text(p["name_zh"]), normalise_text(_park_short(p["name_zh"]))}
        ]
        if len(found) == 1:
            row.set("park_id", found[0]["id"], "park")
        else:
            names = [p["name_zh"] for p in parks if p["pairing_id"] == row.current("pairing_id")]
            near = difflib.get_close_matches(
                text, names or [p["name_zh"] for p in parks], n=2, cutoff=0.4
            )
            row.problem(
                "park",
                f'unknown park "{text}"' if not found else f'"{text}" names {len(found)} parks',
                f"did you mean {' or '.join(near)}?" if near else "give the park's id (parks.csv)",
            )


def _park_short(name: str) -> str:
    return re.sub(r"(产业合作园|合作园区|产业园区|产业园|园区|园)$", "", name)


def _park_fields(row: Row, ctx: Context) -> None:
    read_area(row)
    read_date(row, "date", "date")
    read_text(row, "date_event")
    read_date(row, "status_date", "status_date")
    for name in ("operating_model", "operator", "site_note", "site_note_en"):
        read_text(row, name)
    read_enum(row, "site_level", "parks", "site_level", "site_level")
    read_enum(row, "confidence", "parks", "confidence", "confidence")
    if not row.current("confidence"):
        row.set("confidence", "unconfirmed")


def _partnership(row: Row, ctx: Context) -> None:
    helping = read_place(row, "helping", ctx)
    pairing_id = _pairing_and_identity(row, ctx, host=None)
    pair = ctx.pairing_row(pairing_id) if pairing_id else None
    helped = read_place(row, "helped", ctx, within=[pair["helped_adcode"]] if pair else None)
    for side, code in (("helping", helping), ("helped", helped)):
        column = f"{side}_adcode"
        if code:
            row.set(column, code, side)
        elif not row.has(side) and pair and not row.current(column):
            row.set(column, pair[column])
        if row.current(column):
            row.places.add(row.current(column))
        read_text(row, f"{side}_name")
        if not row.current(f"{side}_name") and row.current(column) in ctx.gazetteer:
            row.set(f"{side}_name", ctx.gazetteer[row.current(column)].name_zh)
    read_enum(row, "type", "partnerships", "type", "partnerships.type")
    if not row.current("type"):
        row.set("type", "other")
    read_text(row, "name_zh")
    if not row.current("name_zh") and row.current("helping_name") and row.current("helped_name"):
        row.set("name_zh", f"{row.current('helping_name')}—{row.current('helped_name')}")
        if row.id is None and pairing_id:
            row.id = generated_id("partnerships", pairing_id, row.values["name_zh"])
            row.existing = ctx.existing.get(row.id)
    if not row.current("name_zh"):
        row.problem("name_zh", "is missing", "give the partnership's Chinese name", value="")
    fill_name_en(row, ctx)
    read_year(row, "year", "year")
    read_date(row, "date", "date")
    read_int(row, "people", "people")
    if row.has("precision"):
        read_enum(row, "precision", "partnerships", "precision", "precision")
    elif not row.current("precision"):
        row.set("precision", "unit_seat")
    read_enum(row, "confidence", "partnerships", "confidence", "confidence")
    fill_source(row, ctx)
    read_text(row, "note")
    read_text(row, "note_en")


def _pairing(row: Row, ctx: Context) -> None:
    helping = helped = None
    if row.has("pair"):
        parts = [p for p in re.split(r"\s*(?:—+|–|―|－|-+>?|→|~|～)\s*", row.text("pair")) if p]
        if len(parts) != 2:
            row.problem("pair", "is not a pair", "write it helping side first, e.g. 宁波—蚌埠")
        else:
            codes = []
            for part in parts:
                try:
                    codes.append(ctx.resolve_place(part).adcode)
                except PlaceError as exc:
                    row.problem("pair", exc.reason, exc.suggestion)
                    codes.append(None)
            helping, helped = codes
    if row.has("helping"):
        helping = read_place(row, "helping", ctx)
    if row.has("helped"):
        helped = read_place(row, "helped", ctx)
    given = read_id(row)
    if given:
        row.id = given
    elif helping and helped:
        row.id = f"P-{helping}-{helped}"
    row.existing = ctx.existing.get(row.id) if row.id else None
    for side, code, source in (("helping", helping, "helping"), ("helped", helped, "helped")):
        src = source if row.has(source) else "pair"
        if code:
            row.set(f"{side}_adcode", code, src)
            row.places.add(code)
        elif not row.current(f"{side}_adcode") and not row.problems:
            row.problem(src, f"the {side} unit is missing", "give the pair as 宁波—蚌埠", value="")
    if given and helping and helped and given != f"P-{helping}-{helped}":
        row.problem("id", f"does not match the pair; expected P-{helping}-{helped}")
    read_text(row, "helping_label")
    read_enum(row, "level", "pairings", "level", "pairings.level")
    if not row.current("level") and helping and helped:
        both = all(
            ctx.gazetteer[c].level == "prefecture" for c in (helping, helped) if c in ctx.gazetteer
        )
        row.set("level", "city" if both else "county")
    read_year(row, "since", "since")
    read_enum(row, "confidence", "pairings", "confidence", "confidence")
    if not row.current("confidence"):
        row.set("confidence", "unconfirmed")
    fill_source(row, ctx)
    read_text(row, "note")
    read_text(row, "note_en")


def _place(row: Row, ctx: Context) -> None:
    adcode = None
    if row.has("adcode"):
        adcode = read_place(row, "adcode", ctx)
    elif row.has("name_zh"):
        adcode = read_place(row, "name_zh", ctx)
    else:
        row.problem("adcode", "is missing", "give the adcode or the name of the unit", value="")
    if not adcode:
        return
    row.id = adcode
    row.existing = ctx.existing.get(adcode)
    unit = ctx.gazetteer[adcode]
    province = ctx.gazetteer.province_of(adcode)
    if province not in PROGRAMME_PROVINCES:
        row.problem(
            "adcode" if row.has("adcode") else "name_zh",
            f"{ctx.gazetteer.qualified_name(adcode)} is outside 上海, 江苏, 浙江 and 安徽",
        )
        return
    row.set("adcode", adcode, "adcode" if row.has("adcode") else "name_zh")
    if row.has("name_zh") and row.has("adcode"):
        named = row.text("name_zh")
        if normalise_text(named) not in {
            normalise_text(unit.name_zh),
            normalise_text(short_name(unit.name_zh)),
        }:
            row.problem(
                "name_zh",
                f"{adcode} is {unit.name_zh} in the gazetteer",
                f"check the adcode or write {unit.name_zh}",
            )
    if not row.current("name_zh") or row.has("name_zh"):
        row.set("name_zh", row.existing["name_zh"] if row.existing else unit.name_zh)
    row.set("province_adcode", province)
    read_enum(row, "level", "places", "level", "places.level")
    if not row.current("level"):
        row.set("level", place_level(ctx.gazetteer, adcode))
    fill_name_en(row, ctx, place_level=row.current("level"))
    read_point(row, ctx)
    if not row.current("lon"):
        row.set("lon", f"{unit.lon:.6f}")
        row.set("lat", f"{unit.lat:.6f}")
        row.set("precision", "seat" if unit.precision == "seat" else "approximate")
        row.note(None, f"seat of {unit.name_zh} from the gazetteer ({unit.source})")
        if not row.has("source") and not row.current("source"):
            row.set("source", f"data/gazetteer.csv: {unit.source}")
    fill_source(row, ctx)
    read_text(row, "note")
    read_text(row, "note_en")


def _plan_target(row: Row, ctx: Context) -> None:
    """A target of a work plan: most often an existing one (by id or Chinese text) whose status,
    status date, source and note change; a status other than unknown needs its source."""
    given = read_id(row)
    if given:
        row.id, row.existing = given, ctx.existing.get(given)
    elif row.has("target_zh"):
        key = normalise_text(row.text("target_zh"))
        found = [r for r in ctx.tables["plan"] if normalise_text(r["target_zh"]) == key]
        if len(found) == 1:
            row.id, row.existing = found[0]["id"], found[0]
    read_year(row, "year", "year")
    if row.id is None and row.has("target_zh") and row.current("year"):
        digest = hashlib.sha1(normalise_text(row.text("target_zh")).encode()).hexdigest()[:8]
        row.id = f"T{row.current('year')}-{digest}"
        row.existing = ctx.existing.get(row.id)
    if row.id is None and not row.problems:
        row.problem("id", "cannot identify the target", "give its id (T2023-…) or 任务", value="")
        return
    for name in ("target_zh", "target_en", "unit", "scope", "status_source"):
        read_text(row, name)
    for name in ("status_note", "status_note_en"):
        read_text(row, name)
    if row.has("value"):
        try:
            row.set("value", f"{float(row.text('value').replace(',', '')):g}", "value")
        except ValueError:
            row.problem("value", "is not a number", "write a number such as 60")
    read_enum(row, "comparator", "plan", "comparator", "plan.comparator")
    if not row.current("comparator"):
        row.set("comparator", "none")
    pairing_id = read_pairing(row, ctx)
    if pairing_id:
        row.set("pairing_id", pairing_id, "pairing")
    city = read_place(row, "city", ctx)
    if city:
        row.set("adcode", city, "city")
    read_enum(row, "scope_level", "plan", "scope_level", "plan.scope_level")
    if not row.current("scope_level"):
        row.set("scope_level", "city" if city else "pair" if pairing_id else "province")
    old_status = (row.existing or {}).get("status")
    read_enum(row, "status", "plan", "status", "plan.status")
    if not row.current("status"):
        row.set("status", "unknown")
    read_date(row, "status_date", "status_date")
    status = row.current("status")
    if status != "unknown" and row.has("status") and status != old_status:
        if not row.has("status_source"):
            row.problem(
                "status",
                f"is {status} but the row gives no source for it",
                "give the report that says so in 进展来源 (status_source)",
            )
        if not row.has("status_date"):
            row.problem("status", f"is {status} but has no date", "give 进展日期 (status_date)")
    read_enum(row, "confidence", "plan", "confidence", "confidence")
    if not row.current("confidence"):
        row.problem(
            "confidence", "is missing", "grade the source: 一手来源, 媒体转述 or 弱来源", value=""
        )
    fill_source(row, ctx)


READERS: dict[str, Callable[[Row, Context], None]] = {
    "projects": _sited,
    "parks": _sited,
    "partnerships": _partnership,
    "pairings": _pairing,
    "places": _place,
    "plan": _plan_target,
}


# --- tables as text ------------------------------------------------------------------------------
