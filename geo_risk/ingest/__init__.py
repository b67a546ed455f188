"""Importers: one module per real format -> a validated GeoDataFrame in EPSG:27700 and a row-level report.

Each ``read_<kind>(paths_or_path, *, area=None, ...)`` returns an
:class:`~geo_risk.ingest._report.ImportResult` (``gdf`` + ``report``) and touches no
database; :func:`geo_risk.ingest.load.load` reads and stores, all-or-nothing per file.

========== ===================================== =========================
kind       reader                                 formats
========== ===================================== =========================
police_uk  :func:`read_police_uk`                 police.uk street-level CSV
boundaries :func:`read_boundaries`                ONS GeoJSON/GeoPackage/shapefile
schools    :func:`read_schools`                   GIAS / DfE CSV
postcodes  :func:`read_postcodes`                 Code-Point Open CSV
streets    :func:`read_streets`                   OSM XML, Overpass JSON, lines
network    :func:`read_network`                   people/groups/links/places CSVs
injuries   :func:`read_injuries`                  Cardiff-model ED assault CSV
========== ===================================== =========================
"""

from __future__ import annotations

from geo_risk.ingest._report import FileReport, ImportReport, ImportResult
from geo_risk.ingest.boundaries import read_boundaries
from geo_risk.ingest.injuries import read_injuries
from geo_risk.ingest.network import read_network
from geo_risk.ingest.police_uk import read_police_uk
from geo_risk.ingest.postcodes import normalise_postcodes, read_postcodes
from geo_risk.ingest.schools import read_schools
from geo_risk.ingest.streets import read_streets

READERS = {
    "police_uk": read_police_uk,
    "boundaries": read_boundaries,
    "schools": read_schools,
    "postcodes": read_postcodes,
    "streets": read_streets,
    "network": read_network,
    "injuries": read_injuries,
}

__all__ = [
    "READERS",
    "FileReport",
    "ImportReport",
    "ImportResult",
    "normalise_postcodes",
    "read_boundaries",
    "read_injuries",
    "read_network",
    "read_police_uk",
    "read_postcodes",
    "read_schools",
    "read_streets",
]
