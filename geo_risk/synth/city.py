"""Generate the synthetic city "Synthetown (synthetic)" in the real input formats.

:func:`generate_city` draws a whole city from one seed and writes it the way real
data arrives, so the demo and the tests go through the same importers as a real
user's data:

=========================================== ==================== =====================
file(s)                                     format               importer kind
=========================================== ==================== =====================
``police_uk/YYYY-MM/YYYY-MM-synthetown-     police.uk street-    ``police_uk``
street.csv`` (24 months)                    level CSV
``boundaries/*_by_lad_X06000001.geojson``,  ONS boundary         ``boundaries``
``boundaries/lad_X06000001.geojson``        GeoJSON (CRS84)
``schools/edubase_synthetown.csv``          GIAS extract         ``schools``
``postcodes/Data/CSV/zz.csv`` (+ ``Doc/``   Code-Point Open      ``postcodes``
header file)
``streets/synthetown.osm``                  OSM XML              ``streets``
``network/{people,groups,links,places}.csv`` peer network CSVs   ``network``
``injuries/ed_assaults_synthetown.csv``     Cardiff-model ED     ``injuries`` (needs
                                            assaults             the postcodes)
``demo_cases.csv``                          demo referrals       (the demo command)
``population/children_by_lsoa.csv``         population           ``geo_risk.fairness.
                                            denominators         read_population_csv``
=========================================== ==================== =====================

The city lies in the North Sea (British National Grid easting 590000-630000,
northing 850000-890000): inside the grid's Great Britain extent, so importers accept
it, but nowhere near a real place. Area codes start with ``X`` (never used by ONS),
postcodes with ``ZZ`` (not a UK postcode area), school URNs with 9; every name that
is shown carries "(synthetic)".

Same seed and size, same bytes: all randomness comes from
``numpy.random.default_rng(seed)``, nothing reads the clock, and every number is
formatted explicitly.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from geo_risk.crs import en_to_lonlat
from geo_risk.synth import _write as W
from geo_risk.synth._areas import Areas, Postcodes, Schools, make_areas, make_postcodes, make_schools
from geo_risk.synth._cases import DemoCase, make_cases
from geo_risk.synth._incidents import (
    Incidents,
    Injuries,
    Snaps,
    make_hotspots,
    make_incidents,
    make_injuries,
    make_pois,
    make_snaps,
)
from geo_risk.synth._names import RIVER_NAME
from geo_risk.synth._peers import Peers, make_peers, make_population
from geo_risk.synth._spec import (
    ALLOWED_BOX,
    AS_OF,
    CITY_LABEL,
    COUNTRY_CODE,
    FORCE_NAME,
    FORCE_SLUG,
    LA_CODE,
    LABEL,
    POSTCODE_AREA,
    SizeSpec,
    month_label,
    month_list,
    size_spec,
)
from geo_risk.synth._streets import Streets, make_streets
from geo_risk.synth._world import World, make_world

log = logging.getLogger(__name__)

#: Writes one file: ``put(kind, relative_path, data, rows)``.
Put = Callable[[str, str, bytes, int], None]

DEFAULT_SEED = 7
MANIFEST_NAME = "manifest.json"
GENERATOR = "geo-risk synth 1"


@dataclass(frozen=True)
class CityFile:
    """One file written by :func:`generate_city`.

    Attributes
    ----------
    kind
        The importer that reads it (``police_uk``, ``boundaries``, ``schools``,
        ``postcodes``, ``streets``, ``network``, ``injuries``) or ``demo_cases``,
        ``population`` (denominators for disproportionality) or ``readme``.
    path
        Path relative to the output folder, with ``/`` separators.
    rows
        Data rows (CSV rows, GeoJSON features, OSM highway ways; 0 for other files).
    sha256
        SHA-256 of the file's bytes.
    """

    kind: str
    path: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class ExpectedImport:
    """What an importer's report must say about the files of one kind.

    ``rejected`` and ``duplicates`` are exactly the quirks planted on purpose
    (police.uk rows without coordinates, exact duplicate crime rows); anything else
    rejected is a bug in the generator or the importer.
    """

    kind: str
    rows_read: int
    accepted: int
    rejected: int
    duplicates: int
    out_of_area: int


@dataclass(frozen=True)
class CityManifest:
    """What :func:`generate_city` wrote.

    Attributes
    ----------
    out_dir
        The output folder.
    seed, size
        The inputs the city was drawn from.
    as_of
        The day after the last month of data (ISO date): use it as ``as_of``.
    months
        First and last police.uk month (``YYYY-MM``).
    bbox
        ``(xmin, ymin, xmax, ymax)`` of the city (its local authority) in EPSG:27700.
    bbox_lonlat
        The same box as ``(min lon, min lat, max lon, max lat)``.
    files
        Every file written.
    import_paths
        ``(kind, relative path)`` for each importer, in a workable import order
        (postcodes before the schools and injuries that may need them).
    expected
        What each importer must report on these files.
    demo_cases
        The demo children with open referrals.
    counts
        Headline numbers (``segments``, ``incidents``, ``people``, ``links`` ...).
    """

    out_dir: Path
    seed: int
    size: str
    as_of: str
    months: tuple[str, str]
    bbox: tuple[float, float, float, float]
    bbox_lonlat: tuple[float, float, float, float]
    files: tuple[CityFile, ...]
    import_paths: tuple[tuple[str, str], ...]
    expected: tuple[ExpectedImport, ...]
    demo_cases: tuple[DemoCase, ...]
    counts: tuple[tuple[str, int], ...]

    def path(self, kind: str) -> Path:
        """Absolute path to give the importer ``kind`` (a folder or a file)."""
        for k, p in self.import_paths:
            if k == kind:
                return self.out_dir / p
        msg = f"no import path for {kind!r}; kinds are {', '.join(k for k, _ in self.import_paths)}"
        raise KeyError(msg)

    def file(self, kind: str) -> Path:
        """Absolute path of the one file of ``kind`` (e.g. ``"population"``, ``"demo_cases"``)."""
        paths = [f.path for f in self.files if f.kind == kind]
        if len(paths) != 1:
            msg = f"{len(paths)} files of kind {kind!r}; use import_paths for importer folders"
            raise KeyError(msg)
        return self.out_dir / paths[0]

    def expected_for(self, kind: str) -> ExpectedImport:
        """The :class:`ExpectedImport` of importer ``kind``."""
        for e in self.expected:
            if e.kind == kind:
                return e
        raise KeyError(kind)

    def to_json(self) -> str:
        """The manifest as JSON (paths relative to ``out_dir``; deterministic)."""
        d = asdict(self)
        d.pop("out_dir")
        return json.dumps(d, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class City:
    """The drawn city before writing (all in EPSG:27700)."""

    spec: SizeSpec
    world: World
    streets: Streets
    areas: Areas
    postcodes: Postcodes
    schools: Schools
    peers: Peers
    snaps: Snaps
    incidents: Incidents
    injuries: Injuries
    cases: tuple[DemoCase, ...]
    population: dict[str, np.ndarray]  # children per LSOA by ethnicity and sex
    no_location: np.ndarray  # incidents published without a location (police.uk quirk)
    duplicated: np.ndarray  # crime incidents published twice (police.uk quirk)


def draw_city(*, seed: int = DEFAULT_SEED, size: str = "small") -> City:
    """Draw the city in memory (no files). Same seed and size, same city."""
    spec = size_spec(size)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        msg = f"seed must be a non-negative integer, got {seed!r}"
        raise TypeError(msg)
    streams = np.random.default_rng(int(seed)).spawn(13)
    world = make_world(spec, streams[0])
    streets = make_streets(world, streams[1])
    areas = make_areas(world, streets, streams[2])
    postcodes = make_postcodes(world, areas, streams[3])
    schools = make_schools(world, streets, areas, postcodes, streams[4])
    peers = make_peers(world, streets, areas, streams[5])
    hotspots = make_hotspots(world, areas, peers, streams[6])
    snaps = make_snaps(streets, make_pois(world, streets, areas, streams[7]))
    incidents = make_incidents(world, areas, hotspots, snaps, streams[8])
    injuries = make_injuries(world, areas, hotspots, peers, postcodes.xy, postcodes.code, streams[9])
    cases = make_cases(world, peers, postcodes, schools, streams[10])
    q = streams[11]
    n = len(incidents.category)
    no_location = np.sort(q.choice(n, spec.no_location_rows, replace=False))
    located_crime = np.setdiff1d(np.flatnonzero(incidents.crime_id != ""), no_location)
    duplicated = np.sort(q.choice(located_crime, spec.duplicate_rows, replace=False))
    population = make_population(world, areas, streams[12])
    return City(
        spec,
        world,
        streets,
        areas,
        postcodes,
        schools,
        peers,
        snaps,
        incidents,
        injuries,
        cases,
        population,
        no_location,
        duplicated,
    )


def draw_areas(*, seed: int = DEFAULT_SEED, size: str = "small") -> Areas:
    """Only the areas of the city ``draw_city(seed=seed, size=size)`` would draw (faster)."""
    spec = size_spec(size)
    streams = np.random.default_rng(int(seed)).spawn(12)
    world = make_world(spec, streams[0])
    streets = make_streets(world, streams[1])
    return make_areas(world, streets, streams[2])


def write_boundaries(out_dir: str | os.PathLike[str], *, seed: int = DEFAULT_SEED, size: str = "small") -> list[Path]:
    """Write only the city's boundary GeoJSON files (as in ``data/boundaries``); return their paths."""
    out = Path(out_dir)
    written = []
    for name, data in boundary_layers(draw_areas(seed=seed, size=size)).items():
        W.write_bytes(out / name, data)
        written.append(out / name)
    return written


def generate_city(out_dir: str | os.PathLike[str], *, seed: int = DEFAULT_SEED, size: str = "small") -> CityManifest:
    """Generate the synthetic city and write it in the real input formats.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing). Files of an earlier run are
        overwritten; nothing else in the folder is touched.
    seed
        Seed of ``numpy.random.default_rng``; the same seed and size give the same bytes.
    size
        ``"small"`` (a few km2, for tests: about 3,000 street segments, 5,000 incidents)
        or ``"city"`` (about 100,000 segments and incidents, 5,000 people, 20,000 links).

    Returns
    -------
    CityManifest
        Every file written, the bounding box, the expected import counts and the demo
        cases; also written to ``manifest.json`` in ``out_dir``.
    """
    out = Path(out_dir)
    city = draw_city(seed=seed, size=size)
    files: list[CityFile] = []
    expected: list[ExpectedImport] = []

    def put(kind: str, rel: str, data: bytes, rows: int) -> None:
        files.append(CityFile(kind, rel, rows, W.write_bytes(out / rel, data)))

    police_rows, police_quirks = _write_police(city, put)
    expected.append(
        ExpectedImport(
            "police_uk", police_rows, police_rows - sum(police_quirks), police_quirks[0], police_quirks[1], 0
        )
    )
    n_areas = _write_boundaries(city.areas, out, put)
    expected.append(ExpectedImport("boundaries", n_areas, n_areas, 0, 0, 0))
    n_pc = _write_postcodes(city, put)
    expected.append(ExpectedImport("postcodes", n_pc, n_pc, 0, 0, 0))
    n_ways, n_segments = _write_streets(city, put)
    expected.append(ExpectedImport("streets", n_ways, n_ways, 0, 0, 0))
    n_sch = _write_schools(city, put)
    expected.append(ExpectedImport("schools", n_sch, n_sch, 0, 0, 0))
    n_net = _write_network(city.peers, put)
    expected.append(ExpectedImport("network", n_net, n_net, 0, 0, 0))
    n_inj = _write_injuries(city.injuries, put)
    expected.append(ExpectedImport("injuries", n_inj, n_inj, 0, 0, 0))
    _write_cases(city.cases, put)
    pop = city.population
    put(
        "population",
        "population/children_by_lsoa.csv",
        W.csv_bytes(
            ["area_code", "dimension", "group", "count"],
            [
                [a, d, g, str(c)]
                for a, d, g, c in zip(
                    pop["area_code"], pop["dimension"], pop["group"], pop["count"].tolist(), strict=True
                )
            ],
        ),
        len(pop["count"]),
    )
    put("readme", "README.txt", _readme(city, seed).encode("utf-8"), 0)

    xmin, ymin, xmax, ymax = (float(v) for v in city.areas.lad_geom.bounds)
    lon, lat = en_to_lonlat(np.array([xmin, xmax]), np.array([ymin, ymax]))
    months = month_list()
    st = city.streets
    manifest = CityManifest(
        out_dir=out,
        seed=int(seed),
        size=size,
        as_of=AS_OF.isoformat(),
        months=(month_label(months[0]), month_label(months[-1])),
        bbox=(round(xmin, 2), round(ymin, 2), round(xmax, 2), round(ymax, 2)),
        bbox_lonlat=(
            round(float(lon.min()), 6),
            round(float(lat.min()), 6),
            round(float(lon.max()), 6),
            round(float(lat.max()), 6),
        ),
        files=tuple(files),
        import_paths=(
            ("boundaries", "boundaries"),
            ("postcodes", "postcodes"),
            ("streets", "streets"),
            ("schools", "schools"),
            ("police_uk", "police_uk"),
            ("injuries", "injuries"),
            ("network", "network"),
        ),
        expected=tuple(expected),
        demo_cases=city.cases,
        counts=(
            ("street_segments", int(n_segments)),
            ("street_edges", len(st.u)),
            ("street_nodes", len(st.xy)),
            ("lsoas", len(city.areas.lsoa_code)),
            ("wards", len(city.areas.ward_code)),
            ("population", len(city.areas.residents)),
            ("postcodes", len(city.postcodes.code)),
            ("schools", len(city.schools.urn)),
            ("incidents", len(city.incidents.category)),
            ("injuries", len(city.injuries.record_id)),
            ("people", len(city.peers.people["pseudonym"])),
            ("groups", len(city.peers.groups["code"])),
            ("links", len(city.peers.links["link_id"])),
            ("places", len(city.peers.places["place_id"])),
            ("rivalries", len(city.peers.rivalries)),
        ),
    )
    W.write_bytes(out / MANIFEST_NAME, manifest.to_json().encode("utf-8"))
    log.info("wrote the %s synthetic city (seed %d) to %s: %d files", size, seed, out, len(files))
    return manifest


# --- writers -----------------------------------------------------------------------------------------


def _write_police(city: City, put: Put) -> tuple[int, tuple[int, int]]:
    """Write the 24 monthly police.uk files; return (rows written, (no-location rows, duplicate rows))."""
    inc, snaps, areas, spec = city.incidents, city.snaps, city.areas, city.spec
    sxy = snaps.xy[inc.snap]
    lon, lat = en_to_lonlat(sxy[:, 0], sxy[:, 1])
    lon_s = W.fmt(lon, "{:.6f}")
    lat_s = W.fmt(lat, "{:.6f}")
    location = snaps.label[inc.snap].copy()
    lsoa = areas.lsoa_of(sxy)
    lsoa_code = areas.lsoa_code[lsoa].copy()
    lsoa_name = areas.lsoa_name[lsoa].copy()
    # Quirk 1: rows police.uk publishes without a location.
    no_loc = city.no_location
    lon_s[no_loc] = ""
    lat_s[no_loc] = ""
    location[no_loc] = "No Location"
    lsoa_code[no_loc] = ""
    lsoa_name[no_loc] = ""
    # Quirk 2: a crime row published twice (same Crime ID, same everything).
    dup = set(city.duplicated.tolist())
    months = month_list()
    total = 0
    for m, ym in enumerate(months):
        label = month_label(ym)
        idx = np.flatnonzero(inc.month == m)
        located = idx[lon_s[idx] != ""]
        missing = idx[lon_s[idx] == ""]
        located = located[np.lexsort((inc.crime_id[located], inc.category[located], lsoa_name[located]))]
        missing = missing[np.lexsort((inc.crime_id[missing], inc.category[missing]))]
        rows = []
        for i in np.r_[located, missing].tolist():
            row = [
                inc.crime_id[i],
                label,
                FORCE_NAME,
                FORCE_NAME,
                lon_s[i],
                lat_s[i],
                location[i],
                lsoa_code[i],
                lsoa_name[i],
                inc.category[i],
                inc.outcome[i],
                "",
            ]
            rows.append(row)
            if i in dup:
                rows.append(list(row))
        total += len(rows)
        put(
            "police_uk",
            f"police_uk/{label}/{label}-{FORCE_SLUG}-street.csv",
            W.csv_bytes(W.POLICE_UK_HEADER, rows),
            len(rows),
        )
    return total, (int(spec.no_location_rows), int(spec.duplicate_rows))


def _write_boundaries(areas: Areas, out: Path, put: Put) -> int:
    lad = areas.lad_code
    layers = [
        (
            f"lsoa_by_lad_{lad}",
            ["LSOA11CD", "LSOA11NM"],
            list(zip(areas.lsoa_code, areas.lsoa_name, strict=True)),
            areas.lsoa_geom,
        ),
        (
            f"msoa_by_lad_{lad}",
            ["MSOA11CD", "MSOA11NM"],
            list(zip(areas.msoa_code, areas.msoa_name, strict=True)),
            areas.msoa_geom,
        ),
        (
            f"wards_by_lad_{lad}",
            ["WD13CD", "WD13NM"],
            list(zip(areas.ward_code, areas.ward_name, strict=True)),
            areas.ward_geom,
        ),
        (f"lad_{lad}", ["LAD11CD", "LAD11NM"], [(lad, areas.lad_name)], [areas.lad_geom]),
    ]
    total = 0
    for layer, fields, rows, geoms in layers:
        put(
            "boundaries",
            f"boundaries/{layer}.geojson",
            W.ons_geojson_bytes(layer, fields, rows, list(geoms)),
            len(rows),
        )
        total += len(rows)
    return total


def boundary_layers(areas: Areas) -> dict[str, bytes]:
    """The boundary GeoJSON files of ``areas`` by file name (for ``data/boundaries``)."""
    out: dict[str, bytes] = {}

    def put(kind: str, rel: str, data: bytes, rows: int) -> None:
        out[rel.split("/")[-1]] = data

    _write_boundaries(areas, Path("."), put)
    return out


def _write_postcodes(city: City, put: Put) -> int:
    pc, areas = city.postcodes, city.areas
    ward = areas.ward_code[areas.lsoa_ward[pc.lsoa]]
    lines = [
        f'"{c}",10,{int(x)},{int(y)},"{COUNTRY_CODE}","","","","{areas.lad_code}","{w}"\r\n'
        for c, x, y, w in zip(pc.code.tolist(), pc.xy[:, 0].tolist(), pc.xy[:, 1].tolist(), ward.tolist(), strict=True)
    ]
    put("postcodes", f"postcodes/Data/CSV/{POSTCODE_AREA.lower()}.csv", "".join(lines).encode("utf-8"), len(lines))
    put("postcodes", "postcodes/Doc/Code-Point_Open_Column_Headers.csv", W.CODEPOINT_HEADER_LINES.encode("utf-8"), 0)
    return len(lines)


def _write_streets(city: City, put: Put) -> tuple[int, int]:
    st, world = city.streets, city.world
    seqs = W.chain_node_sequences(st.u, st.v, st.chain)
    # Representative edge per chain for its tags.
    first_edge = np.zeros(int(st.chain.max()) + 1, dtype=np.int64)
    first_edge[st.chain[::-1]] = np.arange(len(st.chain))[::-1]
    ways = []
    wid = 200_000_001
    for cid, seq in seqs:
        e = int(first_edge[cid])
        tags: list[tuple[str, str]] = [("highway", str(st.highway[e]))]
        if st.name[e] is not None:
            tags.append(("name", str(st.name[e])))
        if st.highway[e] == "motorway":
            tags += [("ref", "M99"), ("oneway", "no")]
        if st.bridge[e]:
            tags += [("bridge", "yes"), ("layer", "1")]
        ways.append((wid, [int(st.node_id[i]) for i in seq], tags))
        wid += 1
    n_highway = len(ways)
    # Segments as an importer splits them: at both ends of a way and at every node used twice.
    uses = np.bincount(np.concatenate([np.asarray(seq) for _, seq in seqs]), minlength=len(st.xy))
    segments = sum(1 + int((uses[np.asarray(seq[1:-1], dtype=np.int64)] > 1).sum()) for _, seq in seqs)
    # The river (not a highway: skipped by the streets importer) and the city's place node.
    river = np.asarray(world.river.coords)
    next_id = int(st.node_id.max()) + 1
    river_ids = next_id + np.arange(len(river))
    place_id = int(river_ids.max()) + 1
    ways.append((wid, river_ids.tolist(), [("waterway", "river"), ("name", f"{RIVER_NAME} {LABEL}")]))
    node_ids = np.r_[st.node_id, river_ids, place_id]
    node_xy = np.vstack([st.xy, river, [world.centre]])
    node_tags = {len(node_ids) - 1: [("name", CITY_LABEL), ("place", "city")]}
    data = W.osm_xml_bytes(
        generator=GENERATOR,
        note=f"Synthetic street network of {CITY_LABEL}, made by geo-risk. Not a real place.",
        node_ids=node_ids,
        node_xy=node_xy,
        node_tags=node_tags,
        ways=ways,
    )
    put("streets", "streets/synthetown.osm", data, n_highway)
    return n_highway, segments


GIAS_HEADER = [
    "URN",
    "LA (code)",
    "LA (name)",
    "EstablishmentNumber",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "EstablishmentStatus (name)",
    "PhaseOfEducation (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "Gender (name)",
    "Street",
    "Town",
    "Postcode",
    "Easting",
    "Northing",
]


def _write_schools(city: City, put: Put) -> int:
    s = city.schools
    base = {"Primary": 2000, "Secondary": 4000, "All-through": 4500, "16 plus": 6000, "Not applicable": 7000}
    rows = []
    for i in range(len(s.urn)):
        rows.append(
            [
                s.urn[i],
                LA_CODE,
                CITY_LABEL,
                str(base[s.phase[i]] + i + 1),
                s.name[i],
                s.kind[i],
                "Open",
                s.phase[i],
                str(s.low_age[i]),
                str(s.high_age[i]),
                "Mixed",
                s.street[i],
                CITY_LABEL,
                s.postcode[i],
                str(int(s.xy[i, 0])),
                str(int(s.xy[i, 1])),
            ]
        )
    put("schools", "schools/edubase_synthetown.csv", W.csv_bytes(GIAS_HEADER, rows), len(rows))
    return len(rows)


PEOPLE_COLUMNS = [
    "pseudonym",
    "is_child",
    "birth_month",
    "cce_concern",
    "cse_concern",
    "looked_after",
    "sex",
    "ethnicity",
    "religion",
    "home_area_code",
    "source",
    "source_type",
]
GROUP_COLUMNS = ["code", "label", "source", "source_type"]
LINK_COLUMNS = [
    "link_id",
    "from_kind",
    "from_key",
    "to_kind",
    "to_key",
    "type",
    "evidence_grade",
    "evidence",
    "source",
    "source_type",
    "first_seen",
    "last_seen",
    "review_by",
    "expires_at",
    "status",
]
PLACE_COLUMNS = [
    "place_id",
    "entity_kind",
    "entity_key",
    "kind",
    "x",
    "y",
    "evidence_grade",
    "evidence",
    "source",
    "source_type",
    "first_seen",
    "last_seen",
    "review_by",
    "expires_at",
    "status",
]


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, np.datetime64):
        return str(v.astype("datetime64[D]"))
    if isinstance(v, (float, np.floating)):
        return "" if math.isnan(v) else f"{float(v):.1f}"
    return str(v)


def _table(cols: list[str], data: dict[str, np.ndarray]) -> bytes:
    n = len(data[cols[0]])
    arrays = [data[c] for c in cols]
    rows = [[_cell(a[i]) for a in arrays] for i in range(n)]
    return W.csv_bytes(cols, rows)


def _write_network(peers: Peers, put: Put) -> int:
    total = 0
    for name, cols, data in (
        ("people", PEOPLE_COLUMNS, peers.people),
        ("groups", GROUP_COLUMNS, peers.groups),
        ("links", LINK_COLUMNS, peers.links),
        ("places", PLACE_COLUMNS, peers.places),
    ):
        n = len(data[cols[0]])
        put("network", f"network/{name}.csv", _table(cols, data), n)
        total += n
    return total


INJURY_COLUMNS = [
    "record_id",
    "date",
    "time_band",
    "x",
    "y",
    "incident_postcode",
    "weapon",
    "age_band",
    "location_type",
]


def _write_injuries(inj: Injuries, put: Put) -> int:
    xs = W.fmt(inj.xy[:, 0], "{:.0f}")
    ys = W.fmt(inj.xy[:, 1], "{:.0f}")
    rows = [
        [
            inj.record_id[i],
            str(inj.date[i]),
            f"{inj.hour[i]:02d}:00-{inj.hour[i]:02d}:59",
            xs[i],
            ys[i],
            inj.postcode[i],
            inj.weapon[i],
            inj.age_band[i],
            inj.location_type[i],
        ]
        for i in range(len(inj.record_id))
    ]
    put("injuries", "injuries/ed_assaults_synthetown.csv", W.csv_bytes(INJURY_COLUMNS, rows), len(rows))
    return len(rows)


CASE_COLUMNS = [
    "case_id",
    "pseudonym",
    "purpose",
    "home_postcode",
    "school_urn",
    "candidate_postcodes",
    "referral_expires_at",
]


def _write_cases(cases: tuple[DemoCase, ...], put: Put) -> None:
    rows = [
        [
            c.case_id,
            c.pseudonym,
            c.purpose,
            c.home_postcode,
            c.school_urn,
            ";".join(c.candidate_postcodes),
            c.referral_expires_at,
        ]
        for c in cases
    ]
    put("demo_cases", "demo_cases.csv", W.csv_bytes(CASE_COLUMNS, rows), len(rows))


def _readme(city: City, seed: int) -> str:
    x0, y0, x1, y1 = ALLOWED_BOX
    return (
        f"{CITY_LABEL}: a synthetic city made by geo-risk (size {city.spec.name}, seed {seed}).\n"
        "\n"
        "Nothing here is real: no person, place, crime, school or postcode. The city lies in the North Sea\n"
        f"(British National Grid easting {x0:.0f}-{x1:.0f}, northing {y0:.0f}-{y1:.0f}); area codes start\n"
        f"with X, postcodes with {POSTCODE_AREA}, school URNs with 9. Files are in the real input formats so that\n"
        "they go through the same importers as real data; manifest.json lists them.\n"
    )


def as_date(value: str) -> dt.date:
    """Parse an ISO date from the manifest."""
    return dt.date.fromisoformat(value)
