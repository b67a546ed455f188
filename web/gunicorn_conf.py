"""gunicorn settings for production (``gunicorn -c python:web.gunicorn_conf 'web:create_app()'``).

The access log names the request's path and never its query string or referrer: a
query string or a referring page's address could hold a postcode or a pseudonym, and
the app promises never to log them (its own log carries the route template only).
"""

from __future__ import annotations

import os

bind = os.environ.get("GEO_RISK_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GEO_RISK_WORKERS", "2"))
accesslog = "-"
# %(U)s is the path without the query string (%(r)s, %(q)s and %(f)s would log it or the referrer).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'
