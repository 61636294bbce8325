"""What the app serves, built once per data version: the dataset, each layer's bytes, the map."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app

from geo.dataset import CsvStore, Dataset
from layers.geojson import to_geojson_bytes
from layers.registry import REGISTRY


@dataclass
class Served:
    """The dataset and everything derived from it that requests only read."""

    dataset: Dataset
    geojson: dict[str, bytes]
    maps: dict[str, object] = field(default_factory=dict)  # script root -> RenderedMap


def build(dataset: Dataset) -> Served:
    """Derive what requests serve from ``dataset``, once."""
    return Served(
        dataset=dataset,
        geojson={spec.id: to_geojson_bytes(dataset.layers[spec.id]) for spec in REGISTRY},
    )


def init_app(app: Flask) -> None:
    """Load and validate the data before the first request; a DataError stops start-up."""
    store = app.config.get("STORE") or CsvStore(app.config["DATA_DIR"])
    app.extensions["wanbei"] = build(store.load())


def served() -> Served:
    """The current app's served data."""
    return current_app.extensions["wanbei"]
