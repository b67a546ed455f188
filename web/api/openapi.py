"""The OpenAPI document of API v1 (served only to signed-in users)."""

from __future__ import annotations

from flask import jsonify, render_template

from web.api import bp

_ERR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def document() -> dict:
    geo = {"description": "GeoJSON FeatureCollection (EPSG:4326)", "content": {"application/json": {}}}
    secured = [{"bearer": []}]
    return {
        "openapi": "3.0.3",
        "info": {"title": "geo-risk API", "version": "1",
                 "description": "Advisory location-risk checks for safeguarding young people. Every read of a "
                                "young person's data is recorded in the audit log."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "properties": {
                "error": {"type": "string"}, "message": {"type": "string"}, "request_id": {"type": "string"}}}},
        },
        "security": secured,
        "paths": {
            "/referrals": {"get": {"summary": "Your live referrals (housing, transport)",
                                   "responses": {"200": {"description": "referrals"}, "401": _ERR, "403": _ERR}}},
            "/referrals/{id}/placement": {"post": {
                "summary": "Rank candidate addresses for the referred young person (housing)",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "description": ("Candidates are postcodes from the loaded address data (a points field is "
                                "refused). Per referral in any 24 hours: at most 10 checks and 10 different "
                                "addresses, each at least 200 m from the others (the policy's [probing])."),
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["postcodes"], "properties": {
                        "postcodes": {"type": "array", "items": {"type": "string"}}}}}}},
                "responses": {"200": geo, "400": _ERR, "401": _ERR, "403": _ERR, "404": _ERR, "429": _ERR}}},
            "/referrals/{id}/route": {"post": {
                "summary": "Shortest and lowest-risk walks to school for the referred young person (transport)",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["home_postcode", "school_urn"], "properties": {
                        "home_postcode": {"type": "string"}, "school_urn": {"type": "string"}}}}}},
                "responses": {"200": geo, "400": _ERR, "401": _ERR, "403": _ERR, "404": _ERR, "429": _ERR}}},
            "/schools/{urn}/briefing": {"get": {
                "summary": "A school's area briefing (school users: own schools; analysts: all)",
                "parameters": [{"name": "urn", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "briefing"}, "401": _ERR, "403": _ERR, "404": _ERR}}},
            "/incidents/grid": {"get": {
                "summary": "Incident counts on a grid (analysts)",
                "parameters": [{"name": "month", "in": "query", "schema": {"type": "string"}},
                               {"name": "category", "in": "query", "schema": {"type": "string"}},
                               {"name": "cell_m", "in": "query", "schema": {"type": "number"}}],
                "responses": {"200": geo, "401": _ERR, "403": _ERR}}},
            "/people/{id}/network": {"get": {
                "summary": "A young person's peer network and places (analysts)",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "network"}, "401": _ERR, "403": _ERR, "404": _ERR}}},
        },
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/docs")
def docs():
    return render_template("api_docs.html", doc=document())
