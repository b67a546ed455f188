"""The geo-risk web app: one blueprint per audience, a JSON API, access control and audit.

``create_app(config=None)`` only wires configuration, extensions, blueprints and
error handlers: it runs no migration, opens no connection and never exits. Serve it
with ``geo-risk serve`` locally or ``gunicorn 'web:create_app()'`` in production.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app.

    Parameters
    ----------
    config
        Flask configuration overrides. Besides Flask's own keys: ``GEO_RISK_SETTINGS``
        (a :class:`geo_risk.config.Settings`; default ``Settings.load()``),
        ``GEO_RISK_ENGINE`` (an existing SQLAlchemy engine), ``GEO_RISK_POLICY``
        (a :class:`geo_risk.config.Policy`), ``GEO_RISK_CLOCK`` (a callable returning
        naive UTC ``datetime``; tests use it to move time) and ``GEO_RISK_TRUSTED_PROXIES``
        (how many reverse proxies' ``X-Forwarded-For`` give the client's address; default
        the ``trusted_proxies`` setting, 0).
    """
    from web import errors, extensions, presentation, security
    from web.settings import configure

    app = Flask(__name__)
    configure(app, config)
    if app.config["GEO_RISK_TRUSTED_PROXIES"]:
        # The client's address is taken from X-Forwarded-For, as set by that many proxies.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["GEO_RISK_TRUSTED_PROXIES"])
    extensions.init_app(app)
    security.init_app(app)
    presentation.init_app(app)
    _register_blueprints(app)
    errors.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from web.admin import bp as admin_bp
    from web.analyst import bp as analyst_bp
    from web.api import bp as api_bp
    from web.auth import bp as auth_bp
    from web.housing import bp as housing_bp
    from web.main import bp as main_bp
    from web.oversight import bp as oversight_bp
    from web.privacy import bp as privacy_bp
    from web.schools import bp as schools_bp
    from web.transport import bp as transport_bp

    for bp in (main_bp, auth_bp, housing_bp, transport_bp, schools_bp, analyst_bp, admin_bp, privacy_bp, api_bp,
               oversight_bp):
        app.register_blueprint(bp)
