"""notice_school: a notice written before 0006 reaches exactly the schools it was written for

Before migration 0006 a notice kept only its area: the union of a circle around each school
chosen on its form. Migration 0006 gave each such notice every school inside that area, so a
notice aimed at two schools also reached a third that lay within a circle. This one trims those
notices to the schools they were written for, recognised from the area itself:

- the circles' radius ``R`` is read from the area: every corner of its outline lies at most
  ``R`` from a chosen school (each circle's corners lie on it, and two circles cross inside both),
  and a circle's corner away from every other school lies at exactly ``R``; so ``R`` is the
  largest, over the outline's corners, of the distance to the nearest school kept for the notice;
- a chosen school's whole circle lies inside the area, so its distance to the area's edge is at
  least the circle's inner radius (at least ``R cos(pi / 32)``: these notices' circles have 64
  sides, and the test allows circles as coarse as 32; less 1 m for rounding); a school that
  merely lies inside someone else's circle is nearer the edge, and loses the notice.

``R`` read this way is never more than the true radius, so an error can only keep a school
that was not chosen (as 0006 did), never drop one that was.

A notice written since 0006 names its schools and passes the same test unchanged (its circles
are drawn finer). A school whose whole circle happens to lie inside the others' (it is ringed by
chosen schools) cannot be told from a chosen one and keeps the notice. If no school passed
(which a notice drawn this way cannot produce), the notice is left as it was.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import math

import numpy as np
import shapely
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_QUAD_SEGS = 8  # the coarsest circles allowed for (32 sides); notices were drawn with 64
_TOLERANCE_M = 1.0


def named_schools(area, schools: dict[str, tuple[float, float]]) -> list[str]:
    """The schools (URN -> easting, northing) whose circle an area made of circles is built from."""
    if not schools or area is None or area.is_empty:
        return list(schools)
    urns = list(schools)
    xy = np.array([schools[u] for u in urns], dtype=float)
    corners = shapely.get_coordinates(area.boundary)
    if not len(corners):
        return urns
    nearest = np.sqrt(((corners[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    radius = float(nearest.max())
    inner = radius * math.cos(math.pi / (4 * _QUAD_SEGS)) - _TOLERANCE_M
    depth = shapely.distance(shapely.points(xy), area.boundary)
    inside = shapely.covers(area, shapely.points(xy))
    keep = [u for u, d, ok in zip(urns, depth, inside, strict=True) if ok and d >= inner]
    return keep or urns


def upgrade() -> None:
    conn = op.get_bind()
    named: dict[int, list[str]] = {}
    for nid, urn in conn.execute(sa.text("SELECT notice_id, school_urn FROM notice_school")):
        named.setdefault(int(nid), []).append(str(urn))
    if not named:
        return
    where = {}
    for urn, wkb in conn.execute(sa.text("SELECT urn, ST_AsBinary(geom) FROM school")):
        if wkb is not None:
            p = shapely.from_wkb(bytes(wkb))
            where[str(urn)] = (p.x, p.y)
    for nid, wkb in conn.execute(sa.text("SELECT id, ST_AsBinary(geom) FROM notice")).all():
        urns = named.get(int(nid))
        if not urns or wkb is None:
            continue
        area = shapely.from_wkb(bytes(wkb))
        placed = {u: where[u] for u in urns if u in where}
        keep = set(named_schools(area, placed)) | {u for u in urns if u not in where}
        for urn in urns:
            if urn not in keep:
                conn.execute(sa.text("DELETE FROM notice_school WHERE notice_id = :n AND school_urn = :u"),
                             {"n": int(nid), "u": urn})


def downgrade() -> None:
    # The trimmed rows are not restored: they were never the notice's schools.
    pass
