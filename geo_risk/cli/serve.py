"""``geo-risk serve``: run the web app on the configured database (waitress, or werkzeug's threaded server)."""

from __future__ import annotations

import logging

import click

from geo_risk.cli import _context, main

log = logging.getLogger(__name__)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web app for local use. In production run gunicorn (see docker-compose.yml)."""
    serve_app(host=host, port=port, threads=threads)


def serve_app(*, host: str = "127.0.0.1", port: int = 5000, threads: int = 8, settings=None) -> None:
    """Build the app on the configured database and serve it until interrupted."""
    from web import create_app
    from web.assets import install, missing_files

    _context.migrated_engine()  # refuse to start on a database without the schema
    if missing_files():
        install()
    app = create_app({"GEO_RISK_SETTINGS": settings or _context.settings(), "GEO_RISK_ENGINE": _context.engine()})
    click.echo(f"geo-risk web app on http://{host}:{port}/  (Ctrl-C to stop)")
    try:
        from waitress import serve as waitress_serve
    except ImportError:
        from werkzeug.serving import run_simple

        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
        return
    waitress_serve(app, host=host, port=port, threads=threads, ident="geo-risk")
