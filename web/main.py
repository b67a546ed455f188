"""The front door: send each role to its home page; a health check for the load balancer."""

from __future__ import annotations

from flask import Blueprint, g, redirect, url_for

from web.policy import home_endpoint

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return redirect(url_for(home_endpoint(g.user.role)))


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}
