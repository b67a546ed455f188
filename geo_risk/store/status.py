"""What is loaded: counts per table, date ranges and the area of interest."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from geo_risk.store.models import Base


@dataclass(frozen=True)
class StoreStatus:
    backend: str
    revision: str | None
    counts: dict[str, int]
    incident_months: tuple[str | None, str | None]
    incident_categories: dict[str, int]
    live_links: int
    expired_links: int
    #: police.uk incidents per force and month: ``{force: {month: rows}}``
    force_months: dict[str, dict[str, int]] = field(default_factory=dict)

    def force_lines(self) -> list[str]:
        """One line per force: its months (runs of consecutive months joined) and rows; gaps named."""
        out = []
        for force, months in self.force_months.items():
            runs = _runs(sorted(months))
            text = ", ".join(_span(a, b) for a, b in runs)
            gaps = [_span(_month_after(b), _month_before(c)) for (_, b), (c, _) in itertools.pairwise(runs)]
            gap = f"; gap {', '.join(gaps)}" if gaps else ""
            out.append(f"{force:<20} {sum(months.values()):>10,} rows  {text}{gap}")
        return out


def store_status(engine: Engine) -> StoreStatus:
    """Counts of every table plus incident date range; works before ``db upgrade`` too."""
    from geo_risk.store.migrate import current_revision

    existing = set(inspect(engine).get_table_names())
    counts: dict[str, int] = {}
    months: tuple[str | None, str | None] = (None, None)
    categories: dict[str, int] = {}
    live = expired = 0
    force_months = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in existing:
                counts[table.name] = int(conn.execute(text(f'SELECT count(*) FROM "{table.name}"')).scalar_one())
        if "incident" in existing and counts.get("incident"):
            lo, hi = conn.execute(text("SELECT min(month), max(month) FROM incident")).one()
            months = (lo, hi)
            rows = conn.execute(text("SELECT category, count(*) FROM incident GROUP BY category ORDER BY 2 DESC"))
            categories = {c: int(n) for c, n in rows}
            force_months: dict[str, dict[str, int]] = {}
            if "force" in {c["name"] for c in inspect(engine).get_columns("incident")}:
                rows = conn.execute(text(
                    "SELECT force, month, count(*) FROM incident WHERE force IS NOT NULL "
                    "GROUP BY force, month ORDER BY force, month"))
                for force, month, n in rows:
                    force_months.setdefault(force, {})[month] = int(n)
        if "link" in existing:
            live = int(conn.execute(text("SELECT count(*) FROM link WHERE status = 'live'")).scalar_one())
            expired = counts.get("link", 0) - live
    return StoreStatus(
        backend="PostGIS" if engine.dialect.name == "postgresql" else "SpatiaLite",
        revision=current_revision(engine) if "alembic_version" in existing else None,
        counts=counts,
        incident_months=months,
        incident_categories=categories,
        live_links=live,
        expired_links=expired,
        force_months=force_months,
    )


def _span(first: str, last: str) -> str:
    return first if first == last else f"{first}..{last}"


def _month_index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def _month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_after(month: str) -> str:
    return _month_text(_month_index(month) + 1)


def _month_before(month: str) -> str:
    return _month_text(_month_index(month) - 1)


def _runs(months: list[str]) -> list[tuple[str, str]]:
    """Consecutive months grouped: ["2024-01", "2024-02", "2024-05"] -> [("2024-01", "2024-02"), ("2024-05", "2024-05")]."""
    runs: list[tuple[str, str]] = []
    for m in months:
        if runs and _month_index(m) == _month_index(runs[-1][1]) + 1:
            runs[-1] = (runs[-1][0], m)
        else:
            runs.append((m, m))
    return runs
