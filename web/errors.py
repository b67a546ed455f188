"""One place that maps errors to HTTP responses: generic pages with a request id, JSON for the API."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, g, jsonify, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from geo_risk.errors import AccessDenied, DataSourceError, NotFound, ValidationError
from geo_risk.service.probing import TooManyChecks

log = logging.getLogger(__name__)

_TITLES = {
    400: "The request could not be used",
    401: "Please sign in",
    403: "You do not have access to this page",
    404: "Not found",
    405: "Method not allowed",
    413: "The request is too large",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "The service is not available",
}


def _respond(status: int, message: str | None = None):
    from web.security import is_api_request

    request_id = g.get("request_id", "-")
    title = _TITLES.get(status, "Error")
    if is_api_request():
        resp = jsonify(error=title, message=message or title, request_id=request_id)
        resp.status_code = status
        return resp
    return render_template("error.html", status=status, title=title, message=message,
                           request_id=request_id), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        return _respond(400, str(exc))

    @app.errorhandler(TooManyChecks)
    def _too_many(exc: TooManyChecks):
        resp = _respond(429, str(exc))
        resp = resp if not isinstance(resp, tuple) else app.make_response(resp)
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.errorhandler(NotFound)
    def _not_found(_exc: NotFound):
        # The same answer for "missing" and "not yours": nothing to learn from it.
        return _respond(404)

    @app.errorhandler(AccessDenied)
    def _denied(_exc: AccessDenied):
        return _respond(403)

    @app.errorhandler(DataSourceError)
    def _data_source(exc: DataSourceError):
        log.error("request %s: data source error: %s", g.get("request_id"), type(exc).__name__)
        return _respond(503)

    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError):
        return _respond(400, "The form expired or was not sent from this site. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        message = exc.description if status in (400, 429) else None
        return _respond(status, message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # Logged with the request id and error class only: a message could hold personal data.
        # (SQL errors carry their parameters in the message, so the message is left out.)
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("request %s failed: %s\n%s", g.get("request_id"), type(exc).__name__, frames)
        return _respond(500)
