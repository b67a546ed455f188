"""The peer network as CSVs (people, groups, links, places) -> validated tables.

The format is documented in ``NETWORK_FORMAT.md`` beside this module (the same text as
:data:`NETWORK_FORMAT`). In short, one folder (or zip) holds:

``people.csv``
    ``pseudonym`` (required; letters/digits with ``-``/``_``, at least one digit, e.g.
    ``YP-0042``), ``is_child`` (true/false, required), ``birth_month`` (YYYY-MM),
    ``cce_concern``, ``cse_concern``, ``looked_after`` (true/false, default false),
    ``source``, ``source_type`` (required), and optionally ``sex``, ``ethnicity``,
    ``religion`` (fairness monitoring only, never an input to any score) and
    ``home_area_code``.
``groups.csv``
    ``code`` (e.g. ``G07``), ``label`` (neutral, e.g. ``peer group 7``), ``source``, ``source_type``.
``links.csv``
    ``link_id``, ``from_kind``, ``from_key``, ``to_kind``, ``to_key`` (kind ``person`` |
    ``group``; key a pseudonym or a group code), ``type`` (``associates_with`` |
    ``in_conflict_with`` | ``exploits`` | ``member_of`` | ``family``), ``evidence_grade``
    (A-E), ``source``, ``source_type``, ``first_seen``, ``last_seen``, ``review_by``,
    ``expires_at`` (required), ``status`` (``live`` | ``expired``, default live), ``evidence``
    (optional short text).
``places.csv``
    ``place_id``, ``entity_kind``, ``entity_key``, ``kind`` (``hangout`` |
    ``exploitation_site`` | ``incident_location`` | ``home``), ``evidence_grade``,
    ``source``, ``source_type``, ``first_seen``, ``last_seen``, ``review_by``,
    ``expires_at`` (required), ``status``, and the point as ``x``/``y`` (EPSG:27700
    metres) or ``lon``/``lat``.

Columns that identify a person (``name``, ``first_name``, ``surname``, ``dob``,
``address``, ``nhs_number``...) are refused: pseudonyms only. Every problem in every file
is collected and reported at once; nothing is imported when there is any.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_risk.contract import (
    ENTITY_KINDS,
    GRADES,
    LINK_TYPES,
    PERSON_FLAGS,
    PLACE_KINDS,
    PROTECTED_CHARACTERISTICS,
    SOURCE_TYPES,
    STATUSES,
    date_order_problems,
)
from geo_risk.crs import STORE_CRS
from geo_risk.errors import ValidationError
from geo_risk.ingest._files import (
    DEFAULT_MAX_BYTES,
    PathsLike,
    Problems,
    Source,
    expand_sources,
    read_csv_strings,
    resolve_area,
)
from geo_risk.ingest._points import classify_points, find_coordinate_columns, parse_points
from geo_risk.ingest._report import OK, ImportResult, build_report, empty_rejections
from geo_risk.ingest._tables import (
    PSEUDONYM_RE,
    canon_columns,
    check_enum,
    parse_bool,
    parse_dates,
    refuse_identifier_columns,
    require,
)
from geo_risk.wording import branding_problem

log = logging.getLogger(__name__)

KIND = "network"
DOC = "geo_risk/ingest/NETWORK_FORMAT.md"
NETWORK_FORMAT = (Path(__file__).with_name("NETWORK_FORMAT.md")).read_text(encoding="utf-8") if Path(
    __file__).with_name("NETWORK_FORMAT.md").exists() else __doc__
FILES = ("people", "groups", "links", "places")

IDENTIFYING = {
    "name": "a name",
    "first_name": "a name",
    "firstname": "a name",
    "forename": "a name",
    "forenames": "a name",
    "given_name": "a name",
    "middle_name": "a name",
    "surname": "a name",
    "last_name": "a name",
    "lastname": "a name",
    "family_name": "a name",
    "full_name": "a name",
    "nickname": "a name",
    "alias": "a name",
    "street_name": "a name",
    "dob": "a date of birth",
    "date_of_birth": "a date of birth",
    "birth_date": "a date of birth",
    "birthdate": "a date of birth",
    "address": "an address",
    "address_1": "an address",
    "address1": "an address",
    "address_line_1": "an address",
    "home_address": "an address",
    "street_address": "an address",
    "home_postcode": "an address",
    "nhs_number": "an NHS number",
    "nhs_no": "an NHS number",
    "upn": "a unique pupil number",
    "pnc_id": "a police identifier",
    "phone": "a phone number",
    "phone_number": "a phone number",
    "mobile": "a phone number",
    "email": "an email address",
    "social_media": "an online identity",
    "instagram": "an online identity",
    "snapchat": "an online identity",
}

PEOPLE_COLUMNS = ["pseudonym", "is_child", "birth_month", *PERSON_FLAGS, *PROTECTED_CHARACTERISTICS, "home_area_code",
                  "source", "source_type"]
GROUP_COLUMNS = ["code", "label", "source", "source_type"]
LINK_COLUMNS = ["link_id", "from_kind", "from_key", "to_kind", "to_key", "type", "evidence_grade", "evidence",
                "source", "source_type", "first_seen", "last_seen", "review_by", "expires_at", "status"]
PLACE_COLUMNS = ["place_id", "entity_kind", "entity_key", "kind", "evidence_grade", "evidence", "source",
                 "source_type", "first_seen", "last_seen", "review_by", "expires_at", "status"]
_DATES = ["first_seen", "last_seen", "review_by", "expires_at"]


def read_network(
    paths_or_path: PathsLike,
    *,
    area: object = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> ImportResult:
    """Read and validate the peer network CSVs.

    Parameters
    ----------
    paths_or_path
        The folder (or zip) holding ``people.csv``, ``groups.csv``, ``links.csv`` and
        ``places.csv``, or those files. ``people.csv`` and ``links.csv`` are required.
    area
        Optional area of interest; a place outside it (or outside Great Britain) is an error
        (a wrong coordinate in intelligence is fixed at source, not dropped).
    max_bytes
        Size limit per file.

    Returns
    -------
    ImportResult
        ``gdf`` is the places GeoDataFrame (EPSG:27700); ``tables`` holds ``people``,
        ``groups``, ``links`` (DataFrames) and ``places``.

    Raises
    ------
    ValidationError
        Any identifying column, missing column, bad value, unknown link endpoint, or missing
        ``expires_at``: one message lists every problem of every file.
    """
    sources = expand_sources(paths_or_path, suffixes=[".csv"], max_bytes=max_bytes, what="network CSV")
    by_name: dict[str, Source] = {}
    for s in sources:
        stem = Path(s.basename).stem.lower()
        if stem not in FILES:
            msg = f"{s.name}: unexpected file; the peer network is {', '.join(f + '.csv' for f in FILES)} (see {DOC})"
            raise ValidationError(msg)
        if stem in by_name:
            msg = f"two {stem}.csv files given ({by_name[stem].name} and {s.name}); give one folder at a time"
            raise ValidationError(msg)
        by_name[stem] = s
    for req in ("people", "links"):
        if req not in by_name:
            msg = f"the peer network needs {req}.csv (got {', '.join(sorted(by_name)) or 'nothing'}); see {DOC}"
            raise ValidationError(msg)
    geom_area = resolve_area(area)
    frames: dict[str, pd.DataFrame] = {}
    for stem, src in by_name.items():
        df = read_csv_strings(src, what=f"{stem}.csv")
        refuse_identifier_columns(src, list(df.columns), IDENTIFYING, what="peer network files")
        frames[stem] = canon_columns(df)
    all_problems: list[Problems] = []
    people = _people(by_name["people"], frames["people"], all_problems)
    groups = _groups(by_name["groups"], frames["groups"], all_problems) if "groups" in frames else _empty(GROUP_COLUMNS)
    links = _links(by_name["links"], frames["links"], people, groups, all_problems)
    if "places" in frames:
        places = _places(by_name["places"], frames["places"], people, groups, geom_area, all_problems)
    else:
        places = gpd.GeoDataFrame(_empty(PLACE_COLUMNS), geometry=gpd.GeoSeries([], crs=STORE_CRS), crs=STORE_CRS)
    bad = [p for p in all_problems if p]
    if bad:
        msg = "\n".join(p.message() for p in bad) + f"\nFix these rows (the format is described in {DOC})."
        raise ValidationError(msg)
    counts = {"people": len(people), "groups": len(groups), "links": len(links), "places": len(places)}
    files = [by_name[s].name for s in FILES if s in by_name]
    rows = {by_name[s].name: counts[s] for s in FILES if s in by_name}
    report = build_report(KIND, files, rows, rows, empty_rejections())
    log.info("peer network: %d people, %d groups, %d links, %d places", *counts.values())
    return ImportResult(kind=KIND, gdf=places, report=report,
                        tables={"people": people, "groups": groups, "links": links, "places": places})


def _empty(cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})


def _rows(df: pd.DataFrame) -> np.ndarray:
    return np.arange(2, len(df) + 2, dtype="int64")


def _key_check(df: pd.DataFrame, col: str, rows: np.ndarray, problems: Problems, what: str) -> pd.Series:
    v = df[col].str.strip()
    empty = (v == "").to_numpy()
    problems.add(rows[empty], f"{col} is empty")
    bad = ~empty & ~v.str.fullmatch(PSEUDONYM_RE.pattern).to_numpy()
    if bad.any():
        problems.add(
            rows[bad],
            f"{col} {', '.join(repr(e) for e in v[bad].unique()[:3])} does not look like a {what} "
            "(letters and digits with - or _, including a digit, e.g. YP-0042 or G07); never use a real name",
        )
    dup = ~empty & v.duplicated(keep=False).to_numpy()
    problems.add(rows[dup], f"{col} appears more than once; each {what} must be unique")
    return v


def _provenance(df: pd.DataFrame, rows: np.ndarray, problems: Problems) -> tuple[np.ndarray, np.ndarray]:
    source = df["source"].str.strip() if "source" in df.columns else pd.Series([""] * len(df))
    problems.add(rows[(source == "").to_numpy()], "source is empty; name the agency or person type it came from")
    st = check_enum(df, "source_type", SOURCE_TYPES, rows, problems)
    return source.to_numpy(dtype=object), st


def _people(src: Source, df: pd.DataFrame, out: list[Problems]) -> pd.DataFrame:
    require(src, df, ["pseudonym", "is_child", "source", "source_type"], doc=DOC)
    p = Problems(src.name)
    out.append(p)
    rows = _rows(df)
    pseud = _key_check(df, "pseudonym", rows, p, "pseudonym")
    bm = df["birth_month"].str.strip() if "birth_month" in df.columns else pd.Series([""] * len(df), index=df.index)
    bad_bm = (bm != "") & ~bm.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
    p.add(rows[bad_bm.to_numpy()], "birth_month must be YYYY-MM (month only, never a full date of birth)")
    is_child_text = df["is_child"].str.strip()
    p.add(rows[(is_child_text == "").to_numpy()], "is_child is empty; write true or false")
    source, st = _provenance(df, rows, p)
    res = pd.DataFrame(
        {
            "pseudonym": pseud.to_numpy(dtype=object),
            "is_child": parse_bool(df, "is_child", rows, p),
            "birth_month": bm.replace("", None).to_numpy(dtype=object),
            "cce_concern": parse_bool(df, "cce_concern", rows, p),
            "cse_concern": parse_bool(df, "cse_concern", rows, p),
            "looked_after": parse_bool(df, "looked_after", rows, p),
        }
    )
    for col in ("sex", "ethnicity", "religion", "home_area_code"):
        res[col] = df[col].str.strip().replace("", None).to_numpy(dtype=object) if col in df.columns else None
    res["source"] = source
    res["source_type"] = st
    res["source_row"] = rows
    return res


def _groups(src: Source, df: pd.DataFrame, out: list[Problems]) -> pd.DataFrame:
    require(src, df, ["code", "label", "source", "source_type"], doc=DOC)
    p = Problems(src.name)
    out.append(p)
    rows = _rows(df)
    code = _key_check(df, "code", rows, p, "group code")
    label = df["label"].str.strip()
    p.add(rows[(label == "").to_numpy()], "label is empty; use a neutral label such as 'peer group 7'")
    banned = label.map(lambda t: branding_problem(t) is not None).to_numpy(dtype=bool)
    p.add(rows[banned], "label must be neutral (e.g. 'peer group 7'): labels that brand young people are refused")
    source, st = _provenance(df, rows, p)
    return pd.DataFrame(
        {"code": code.to_numpy(dtype=object), "label": label.to_numpy(dtype=object), "source": source,
         "source_type": st, "source_row": rows}
    )


def _evidence_and_dates(df: pd.DataFrame, rows: np.ndarray, p: Problems) -> dict[str, object]:
    grade = check_enum(df, "evidence_grade", GRADES, rows, p, upper=True)
    dates = {c: parse_dates(df, c, rows, p, required=(c == "expires_at")) for c in _DATES}
    order = date_order_problems(dates["first_seen"], dates["last_seen"], dates["expires_at"])
    p.add(rows[order["first_after_last"]], "first_seen is after last_seen; swap them")
    p.add(rows[order["expires_before_first"]],
          "expires_at is before first_seen; set an expiry after the evidence was first seen")
    if "status" in df.columns:
        status = df["status"].str.strip().str.lower()
    else:
        status = pd.Series([""] * len(df), index=df.index)
    status = status.replace("", "live")
    bad = ~status.isin(STATUSES).to_numpy()
    p.add(rows[bad], f"status must be one of {', '.join(STATUSES)} (empty means live)")
    evidence = df["evidence"].str.strip().replace("", None) if "evidence" in df.columns else pd.Series([None] * len(df))
    return {"evidence_grade": grade, "status": status.to_numpy(dtype=object),
            "evidence": evidence.to_numpy(dtype=object), **{c: d.to_numpy() for c, d in dates.items()}}


def _endpoint_check(kind: np.ndarray, key: pd.Series, people: pd.DataFrame, groups: pd.DataFrame,
                    rows: np.ndarray, p: Problems, col: str) -> None:
    known_p = set(people["pseudonym"])
    known_g = set(groups["code"])
    k = key.to_numpy(dtype=object)
    unknown_person = (kind == "person") & ~np.isin(k, list(known_p)) & (k != "")
    unknown_group = (kind == "group") & ~np.isin(k, list(known_g)) & (k != "")
    if unknown_person.any():
        names = ", ".join(sorted(set(k[unknown_person]))[:3])
        p.add(rows[unknown_person], f"{col} names a person not in people.csv ({names}); add them or fix the pseudonym")
    if unknown_group.any():
        codes = ", ".join(sorted(set(k[unknown_group]))[:3])
        p.add(rows[unknown_group], f"{col} names a group not in groups.csv ({codes}); add it or fix the code")


def _links(
    src: Source, df: pd.DataFrame, people: pd.DataFrame, groups: pd.DataFrame, out: list[Problems]
) -> pd.DataFrame:
    require(src, df, ["link_id", "from_kind", "from_key", "to_kind", "to_key", "type", "evidence_grade", "source",
                      "source_type", "expires_at"], doc=DOC)
    p = Problems(src.name)
    out.append(p)
    rows = _rows(df)
    link_id = df["link_id"].str.strip()
    p.add(rows[(link_id == "").to_numpy()], "link_id is empty")
    p.add(rows[((link_id != "") & link_id.duplicated(keep=False)).to_numpy()], "link_id appears more than once")
    fk = check_enum(df, "from_kind", ENTITY_KINDS, rows, p)
    tk = check_enum(df, "to_kind", ENTITY_KINDS, rows, p)
    typ = check_enum(df, "type", LINK_TYPES, rows, p)
    from_key = df["from_key"].str.strip()
    to_key = df["to_key"].str.strip()
    p.add(rows[((from_key == "") | (to_key == "")).to_numpy()], "from_key and to_key are required")
    _endpoint_check(fk, from_key, people, groups, rows, p, "from_key")
    _endpoint_check(tk, to_key, people, groups, rows, p, "to_key")
    member = typ == "member_of"
    p.add(rows[member & ((fk != "person") | (tk != "group"))], "member_of goes from a person to a group")
    fam = typ == "family"
    p.add(rows[fam & ((fk != "person") | (tk != "person"))], "family links join two people")
    expl = typ == "exploits"
    p.add(rows[expl & (tk != "person")],
          "exploits goes from the exploiter to the young person exploited (to_kind person)")
    selfl = ((fk == tk) & (from_key == to_key).to_numpy() & (from_key != "").to_numpy())
    p.add(rows[selfl], "a link cannot join an entity to itself")
    source, st = _provenance(df, rows, p)
    ev = _evidence_and_dates(df, rows, p)
    res = pd.DataFrame(
        {
            "link_id": link_id.to_numpy(dtype=object),
            "from_kind": fk,
            "from_key": from_key.to_numpy(dtype=object),
            "to_kind": tk,
            "to_key": to_key.to_numpy(dtype=object),
            "type": typ,
            "evidence_grade": ev["evidence_grade"],
            "evidence": ev["evidence"],
            "source": source,
            "source_type": st,
        }
    )
    for c in _DATES:
        res[c] = pd.Series(ev[c]).astype("datetime64[ns]")
    res["status"] = ev["status"]
    res["source_row"] = rows
    return res


def _places(src: Source, df: pd.DataFrame, people: pd.DataFrame, groups: pd.DataFrame, area: object,
            out: list[Problems]) -> gpd.GeoDataFrame:
    require(src, df, ["place_id", "entity_kind", "entity_key", "kind", "evidence_grade", "source", "source_type",
                      "expires_at"], doc=DOC)
    p = Problems(src.name)
    out.append(p)
    rows = _rows(df)
    place_id = df["place_id"].str.strip()
    p.add(rows[(place_id == "").to_numpy()], "place_id is empty")
    p.add(rows[((place_id != "") & place_id.duplicated(keep=False)).to_numpy()], "place_id appears more than once")
    ek = check_enum(df, "entity_kind", ENTITY_KINDS, rows, p)
    key = df["entity_key"].str.strip()
    _endpoint_check(ek, key, people, groups, rows, p, "entity_key")
    kind = check_enum(df, "kind", PLACE_KINDS, rows, p)
    spec = find_coordinate_columns(list(df.columns))
    if spec is None:
        p.add_file("places.csv needs x,y (EPSG:27700 metres) or lon,lat columns")
        x = y = np.full(len(df), np.nan)
    else:
        x, y, bad_xy = parse_points(df, rows, p, spec)
        status = np.where(bad_xy, 2, 0).astype("int8")
        reason = np.full(len(df), "", dtype=object)
        classify_points(x, y, status, reason, area)
        for r in np.unique(reason[(status != OK) & ~bad_xy]):
            sel = (reason == r) & (status != OK) & ~bad_xy
            p.add(rows[sel], f"{r}: give the place's point as x,y in EPSG:27700 metres or lon,lat degrees")
    source, st = _provenance(df, rows, p)
    ev = _evidence_and_dates(df, rows, p)
    res = pd.DataFrame(
        {
            "place_id": place_id.to_numpy(dtype=object),
            "entity_kind": ek,
            "entity_key": key.to_numpy(dtype=object),
            "kind": kind,
            "evidence_grade": ev["evidence_grade"],
            "evidence": ev["evidence"],
            "source": source,
            "source_type": st,
        }
    )
    for c in _DATES:
        res[c] = pd.Series(ev[c]).astype("datetime64[ns]")
    res["status"] = ev["status"]
    res["source_row"] = rows
    return gpd.GeoDataFrame(res, geometry=gpd.points_from_xy(x, y), crs=STORE_CRS)


__all__ = ["NETWORK_FORMAT", "read_network"]
