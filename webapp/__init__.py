"""The Flask app: a factory that loads and validates the data once, then serves the map."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from webapp import about, downloads, errors, headers, i18n, ogc, plan, portal, proxy, state, views

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app; raise :class:`geo.errors.DataError` if the data does not validate.

    Configuration: ``DATA_DIR`` (or the environment variable ``WANBEI_DATA_DIR``);
    ``PUBLIC_URL`` (``WANBEI_PUBLIC_URL``), where the map is published (:mod:`webapp.proxy`).
    """
    app = Flask(__name__)
    app.config.from_mapping(
        DATA_DIR=os.environ.get("WANBEI_DATA_DIR", str(DEFAULT_DATA_DIR)),
        JSON_AS_ASCII=False,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    proxy.init_app(app)
    state.init_app(app)
    errors.register(app)
    i18n.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(about.bp)
    app.register_blueprint(plan.bp)
    ogc.init_app(app)
    downloads.init_app(app)
    headers.init_app(app)
    return app
