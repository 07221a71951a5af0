"""`ascent serve`: the analyst web UI (read-only) over the database."""

from __future__ import annotations

import argparse
import sys

NAME = "serve"
HELP = "serve the analyst web UI (matrix, customers, signals; read-only)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to listen on (default: [web] host, 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=None, help="port to listen on (default: [web] port, 8080)"
    )


def main(args: argparse.Namespace) -> int:
    import uvicorn

    from scripts.context import db_path, settings_from
    from scripts.exits import EXIT_BAD_INPUT, EXIT_NOT_FOUND
    from scripts.web.app import create_app
    from scripts.web.settings import WebSettings

    settings = settings_from(args)
    web = getattr(settings, "web", None)
    web = web if isinstance(web, WebSettings) else WebSettings()
    host = args.host or web.host
    port = web.port if args.port is None else args.port
    if not 0 <= port <= 65535:
        print(f"ascent serve: --port {port} is not a port number", file=sys.stderr)
        return EXIT_BAD_INPUT
    path = db_path(args)
    if not path.exists():
        print(
            f"ascent serve: no database at {path} (import customers or run `ascent demo` first,"
            " or pass --db)",
            file=sys.stderr,
        )
        return EXIT_NOT_FOUND
    app = create_app(path, settings)
    print(f"ascent: analyst UI on http://{host}:{port}/ (database {path}); Ctrl-C stops it", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    return 0
