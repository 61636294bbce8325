"""The ``wanbei-map`` command: serve the map, validate a data directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.dataset import load_dataset
from geo.errors import DataError


def _default_data_dir() -> str:
    from webapp import DEFAULT_DATA_DIR  # noqa: PLC0415 - keeps `validate` free of Flask

    return str(DEFAULT_DATA_DIR)


def _serve(args: argparse.Namespace) -> int:
    import waitress  # noqa: PLC0415

    from webapp import create_app  # noqa: PLC0415

    config = {"DATA_DIR": args.data} if args.data else None
    try:
        app = create_app(config)
    except DataError as exc:
        print(exc.report(), file=sys.stderr)
        print("The server did not start: fix the data and try again.", file=sys.stderr)
        return 2
    print(
        f"Serving the map on http://{args.host}:{args.port}/ (data version "
        f"{app.extensions['wanbei'].dataset.version}); Ctrl+C stops it.",
        flush=True,
    )
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="wanbei-map")
    return 0


def _validate(args: argparse.Namespace) -> int:
    data_dir = args.dir or _default_data_dir()
    try:
        dataset = load_dataset(Path(data_dir))
    except DataError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    counts = ", ".join(f"{len(gdf)} {name}" for name, gdf in dataset.layers.items())
    print(f"{data_dir}: valid ({counts}; version {dataset.version})")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(
        prog="wanbei-map",
        description="The map of the 沪苏浙–皖北 city pairing programme.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser(
        "serve",
        help="serve the map",
        description="Validate the data, then serve the map and "
        "its downloads. The server refuses to start on invalid data and prints every problem.",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s; 0.0.0.0 for every interface)",
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    serve.add_argument(
        "--data",
        metavar="DIR",
        help="data directory (default: $WANBEI_DATA_DIR or the shipped data/)",
    )
    serve.add_argument("--threads", type=int, default=4, help="worker threads (default: 4)")
    serve.set_defaults(func=_serve)
    validate = sub.add_parser(
        "validate",
        help="check a data directory",
        description="Check every file of a data directory and print every problem with its "
        "file, row and column. Exits 0 when the data is valid, 1 otherwise.",
    )
    validate.add_argument(
        "dir", nargs="?", metavar="DIR", help="data directory (default: the shipped data/)"
    )
    validate.set_defaults(func=_validate)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``wanbei-map``."""
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
