"""Helpers shared by the API modules."""

from __future__ import annotations

from typing import Any

from flask import request

from geo_risk.errors import ValidationError


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        msg = "send a JSON object with Content-Type: application/json"
        raise ValidationError(msg)
    return body
