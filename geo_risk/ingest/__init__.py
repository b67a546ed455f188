"""Importers: one module per real format -> a validated GeoDataFrame in EPSG:27700 and a row-level report.

Each ``read_<kind>(paths_or_path, *, area=None, ...)`` returns an
:class:`~geo_risk.ingest._report.ImportResult` (``gdf`` + ``report``) and touches no database.
"""

from __future__ import annotations

from geo_risk.ingest._report import FileReport, ImportReport, ImportResult
from geo_risk.ingest.police_uk import read_police_uk

__all__ = ["FileReport", "ImportReport", "ImportResult", "read_police_uk"]
