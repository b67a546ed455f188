"""assessment.schema_version: decision records say which shape they are in; old ones are upgraded

Decision records (``assessment.result``) had no version, so pages reading them carried the
upgrades: the housing rows dropped numbers and put an old area reason ("busier than 87% of
the area covered") in words, the route page split the school-days note off the advisory and
kept only the transport tier's fields. This migration adds ``schema_version`` and upgrades
every record once to version 2:

- placement records keep the housing tier's fields only (no score, factor values, distances,
  evidence or analyst reasons), their area reason in words;
- route records keep the transport tier's fields only (no scores, exposures, risk densities,
  segment ids or exact distances in the walks), and carry ``notes`` apart from ``advisory``.

The rules are written out here as they stand at version 2, so this migration does not change
when the application's code does. Downgrade drops the column; the upgraded records stay
upgraded (nothing removed from them was shown to their users).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SCHEMA = 2

# ---- placement (housing tier at version 2)
_ASSESSMENT = ("kind", "child", "point", "as_of", "band", "lifted_by", "reasons", "freshness", "confidence",
               "policy_version", "inputs_hash", "advisory")
_OLD_AREA_REASON = re.compile(r"busier than (\d+(?:\.\d+)?)% of the area covered")


_AREA_WORDS = (  # (lowest percentile, words), busiest first: geo_risk.scoring.area_words at version 2
    (90.0, "among the busiest tenth of the area covered"),
    (75.0, "among the busiest quarter of the area covered"),
    (50.0, "busier than half of the area covered"),
    (0.0, "quieter than half of the area covered"),
)


def _area_words(pct: float) -> str:
    for lowest, words in _AREA_WORDS:
        if pct >= lowest:
            return words
    return _AREA_WORDS[-1][1]


def _placement(result: dict) -> dict:
    out = {k: v for k, v in result.items() if k in ("child", "as_of", "policy_version", "order", "inputs")}
    candidates = []
    for c in result.get("candidates", []):
        a = c.get("assessment", {})
        kept = {k: a[k] for k in _ASSESSMENT if k in a}
        kept["factors"] = [{"name": f["name"], "label": f.get("label", f["name"])} for f in a.get("factors", [])]
        kept["reasons"] = [_OLD_AREA_REASON.sub(lambda m: _area_words(float(m.group(1))), r)
                           for r in a.get("reasons", [])]
        candidates.append({"rank": c.get("rank"), "label": c.get("label"), "assessment": kept})
    out["candidates"] = candidates
    return out


# ---- route (transport tier at version 2)
_WALK = ("role", "geometry", "length_m", "walk_minutes", "band", "detour_m", "detour_ratio", "riskiest_street")
_SEGMENT = ("street", "highway", "length_m", "band")
_NEAR = ("street", "kind", "within_m", "text")
_ROUTE = ("kind", "child", "as_of", "tier", "crs", "origin", "destination", "detour_cap_m", "recommendation",
          "policy_version", "policy_digest", "inputs", "map_segment_ids")
_NOTE_START = "School holidays"


def _walk(w: dict | None) -> dict | None:
    if w is None:
        return None
    out = {k: w[k] for k in _WALK if k in w}
    out["segments"] = [{k: s[k] for k in _SEGMENT if k in s} for s in w.get("segments", [])]
    out["near"] = [{k: n[k] for k in _NEAR if k in n} for n in w.get("near", [])]
    return out


def _route(result: dict) -> dict:
    out = {k: result[k] for k in _ROUTE if k in result}
    out["tier"] = "transport"
    out["routes"] = [_walk(w) for w in result.get("routes", [])]
    out["beyond_cap"] = _walk(result.get("beyond_cap"))
    advisory = str(result.get("advisory") or "")
    notes = result.get("notes")
    if notes is None:
        cut = advisory.find(f" {_NOTE_START}")
        notes = [] if cut < 0 else [advisory[cut:].strip()]
        advisory = advisory if cut < 0 else advisory[:cut].rstrip()
    elif isinstance(notes, str):
        notes = [notes]
    out["advisory"], out["notes"] = advisory, [str(n) for n in notes]
    return out


def upgrade_result(kind: str, result: dict) -> dict:
    """A version-1 record's result as version 2 (exposed for the migration's tests)."""
    return _placement(result) if kind == "placement" else _route(result) if kind == "route" else result


def upgrade() -> None:
    with op.batch_alter_table("assessment") as batch:
        batch.add_column(sa.Column("schema_version", sa.Integer(), nullable=False, server_default="1"))
    bind = op.get_bind()
    table = sa.table("assessment", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                     sa.column("result", sa.JSON), sa.column("schema_version", sa.Integer))
    rows = bind.execute(sa.select(table.c.id, table.c.kind, table.c.result).where(table.c.schema_version < SCHEMA))
    for rid, kind, result in rows.all():
        if isinstance(result, str):
            result = json.loads(result)
        bind.execute(table.update().where(table.c.id == rid).values(
            result=upgrade_result(kind, dict(result or {})), schema_version=SCHEMA))


def downgrade() -> None:
    with op.batch_alter_table("assessment") as batch:
        batch.drop_column("schema_version")
