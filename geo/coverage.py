"""What the dataset holds for each city pair: the coverage table of ``data/README.md``.

A test keeps the README's table in step with the data (regenerate: ``python -m geo.coverage``).
"""

from __future__ import annotations

import pandas as pd

from geo.dataset import Dataset, load_dataset


def coverage(dataset: Dataset) -> pd.DataFrame:
    """Per city pair, how many rows each table holds for it (its county pairs included).

    Returns
    -------
    pandas.DataFrame
        One row per city pair, in ``pairings.csv``'s order: ``pair``, ``parks``, ``projects``
        (of which ``not_stated``: the source does not say the investor is from the helping side),
        ``county_pairs``, ``partnerships``, ``targets`` (plan targets for the pair or its helped
        city; the province-wide ones are not counted) and ``figures`` (the pair's own; ``wider``:
        those of a wider scope about its helped city, never the pair's).
    """
    t = dataset.tables
    pairings = t["pairings"]
    city = pairings[pairings["level"] == "city"]
    # a county pair belongs to the city pair whose helped city contains its helped unit
    parent = {r.id: r.id for r in city.itertuples()}
    for r in pairings[pairings["level"] != "city"].itertuples():
        parent[r.id] = next(
            c.id for c in city.itertuples() if r.helped_adcode[:4] == c.helped_adcode[:4]
        )
    names = t["places"].set_index("adcode")["name_zh"]

    def count(frame: pd.DataFrame, pid: str) -> pd.DataFrame:
        return frame[frame["pairing_id"].map(parent).eq(pid)]

    rows = []
    for r in city.itertuples():
        projects = count(t["projects"], r.id)
        plan = t["plan"]
        targets = plan[plan["pairing_id"].map(parent).eq(r.id) | plan["adcode"].eq(r.helped_adcode)]
        figures = t["figures"]
        rows.append(
            {
                "pair": f"{names[r.helping_adcode]}—{names[r.helped_adcode]}",
                "parks": len(count(t["parks"], r.id)),
                "projects": len(projects),
                "not_stated": int((projects["investor_link"] == "not_stated").sum()),
                "county_pairs": int(pairings["id"].map(parent).eq(r.id).sum()) - 1,
                "partnerships": len(count(t["partnerships"], r.id)),
                "targets": len(targets),
                "figures": len(count(figures, r.id)),
                "wider": int(
                    (
                        figures["pairing_id"].isna() & figures["helped_adcode"].eq(r.helped_adcode)
                    ).sum()
                ),
            }
        )
    return pd.DataFrame(rows)


def markdown(dataset: Dataset) -> str:
    """The coverage table as Markdown."""
    out = [
        "| pair | parks | projects (investor's origin not stated) | county pairs | "
        "partnerships | plan targets | figures (wider scope) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in coverage(dataset).itertuples():
        out.append(
            f"| {r.pair} | {r.parks} | {r.projects} ({r.not_stated}) | {r.county_pairs} | "
            f"{r.partnerships} | {r.targets} | {r.figures} ({r.wider}) |"
        )
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # python -m geo.coverage > the table of data/README.md
    from pathlib import Path

    print(markdown(load_dataset(Path(__file__).resolve().parents[1] / "data")), end="")
