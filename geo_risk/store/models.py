"""SQLAlchemy 2 typed models with GeoAlchemy2 geometry columns (SRID 27700).

Every geometry column carries an explicit SRID 27700 and a spatial index.
Records from partners carry ``source`` (agency), ``source_type`` and
``recorded_at``. Protected characteristics on :class:`Person` exist only for
fairness monitoring and are never read by scoring.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geo_risk.crs import STORE_SRID

ROLES = ("admin", "analyst", "housing", "transport", "school", "privacy_officer")


def _geom(kind: str) -> Any:
    return Geometry(kind, srid=STORE_SRID, spatial_index=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of every geo-risk table."""


class Provenance:
    """Columns every partner record carries."""

    source: Mapped[str] = mapped_column(String(120))
    source_type: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class Area(Base):
    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("code", "level", "version", name="uq_area_code_level_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(8))
    version: Mapped[str] = mapped_column(String(8))
    geom: Mapped[WKBElement] = mapped_column(_geom("MULTIPOLYGON"))


class Incident(Provenance, Base):
    __tablename__ = "incident"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_incident_source_external"),
        Index("ix_incident_force_month", "force", "month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(80))
    severity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    has_time: Mapped[bool] = mapped_column(Boolean, default=False)
    month: Mapped[str] = mapped_column(String(7), index=True)
    precision: Mapped[str] = mapped_column(String(16))
    location_text: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lsoa_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    lsoa_version: Mapped[str | None] = mapped_column(String(8), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(200), nullable=True)
    force: Mapped[str | None] = mapped_column(String(64), nullable=True)  # police.uk force slug
    # emergency-department injuries: the weapon and the injured person's age band (Cardiff model)
    weapon: Mapped[str | None] = mapped_column(String(40), nullable=True)
    age_band: Mapped[str | None] = mapped_column(String(16), nullable=True)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"), nullable=True)
    geom: Mapped[WKBElement] = mapped_column(_geom("POINT"))


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    urn: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str] = mapped_column(String(32))
    postcode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    geom: Mapped[WKBElement] = mapped_column(_geom("POINT"))


class Postcode(Base):
    __tablename__ = "postcode"

    postcode: Mapped[str] = mapped_column(String(10), primary_key=True)
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    geom: Mapped[WKBElement] = mapped_column(_geom("POINT"))


class StreetSegment(Base):
    __tablename__ = "street_segment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    u: Mapped[int] = mapped_column(BigInteger, index=True)
    v: Mapped[int] = mapped_column(BigInteger, index=True)
    length_m: Mapped[float] = mapped_column(Float)
    highway: Mapped[str] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    walkable: Mapped[bool] = mapped_column(Boolean)
    osm_way_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    geom: Mapped[WKBElement] = mapped_column(_geom("LINESTRING"))


class Person(Provenance, Base):
    """A person known to partners, by pseudonym only: no names, no addresses."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)
    is_child: Mapped[bool] = mapped_column(Boolean)
    birth_month: Mapped[str | None] = mapped_column(String(7), nullable=True)
    cce_concern: Mapped[bool] = mapped_column(Boolean, default=False)
    cse_concern: Mapped[bool] = mapped_column(Boolean, default=False)
    looked_after: Mapped[bool] = mapped_column(Boolean, default=False)
    # Fairness monitoring only: never an input to any score.
    sex: Mapped[str | None] = mapped_column(String(16), nullable=True)
    ethnicity: Mapped[str | None] = mapped_column(String(60), nullable=True)
    religion: Mapped[str | None] = mapped_column(String(60), nullable=True)
    home_area_code: Mapped[str | None] = mapped_column(String(16), nullable=True)


class Group(Provenance, Base):
    """A peer group, under a neutral label such as "peer group 7"."""

    __tablename__ = "peer_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(80))


class Link(Provenance, Base):
    """A typed link between two entities, with its evidence and expiry."""

    __tablename__ = "link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[str] = mapped_column(String(40), unique=True)
    from_kind: Mapped[str] = mapped_column(String(8))
    from_key: Mapped[str] = mapped_column(String(40), index=True)
    to_kind: Mapped[str] = mapped_column(String(8))
    to_key: Mapped[str] = mapped_column(String(40), index=True)
    type: Mapped[str] = mapped_column(String(24))
    evidence_grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    first_seen: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_seen: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    review_by: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12), default="live")


class Place(Provenance, Base):
    """A place tied to a person or group (a home is stored, never displayed)."""

    __tablename__ = "place"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[str] = mapped_column(String(40), unique=True)
    entity_kind: Mapped[str] = mapped_column(String(8))
    entity_key: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    evidence_grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    first_seen: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_seen: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    review_by: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="live")
    geom: Mapped[WKBElement] = mapped_column(_geom("POINT"))


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(24))
    password_hash: Mapped[str] = mapped_column(String(200))
    school_urns: Mapped[str] = mapped_column(String(400), default="")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    api_token_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    # SHA-256 of the one-time activation code an approved privileged account needs at first sign-in
    activation_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # TOTP two-factor sign-in: the base32 secret, when enrolment finished, the last time step used
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # SHA-256 of each unused recovery code
    recovery_codes: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # the demo's accounts on the synthetic city: no second factor while the data is synthetic
    demo_account: Mapped[bool] = mapped_column(Boolean, default=False)


class AccountRequest(Base):
    """An administrator's request to create or promote an account to a privileged role.

    Creating or promoting an analyst, admin or privacy officer takes two administrators:
    one asks (``requested_by``), another approves or rejects (``decided_by``). A request to
    create carries the argon2id hash of the first password the requester chose; the account
    is made only on approval, and the approver is shown a one-time activation code the new
    user needs too, so neither administrator alone can sign in as it.
    """

    __tablename__ = "account_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # create | role
    username: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(24))
    school_urns: Mapped[str] = mapped_column(String(400), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)  # approved | rejected


class Referral(Base):
    """The legitimate relationship that lets one officer see one young person's checks."""

    __tablename__ = "referral"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_pseudonym: Mapped[str] = mapped_column(ForeignKey("person.pseudonym"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # placement | route
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # Case details the check starts from (postcodes, a school URN): no names.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Assessment(Base):
    """A stored decision record: reproducible from its inputs hash and policy version."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # placement | route
    child_pseudonym: Mapped[str] = mapped_column(String(40), index=True)
    inputs_hash: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(40))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    # the shape of ``result`` (geo_risk.service.records.RECORD_SCHEMA); 1 = saved before versions
    schema_version: Mapped[int] = mapped_column(Integer, server_default="1")
    # the decision (geo_risk.service.records.Decision); empty on records saved before decisions were kept
    decision: Mapped[str | None] = mapped_column(String(300), nullable=True)
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    case_reference: Mapped[str | None] = mapped_column(String(40), nullable=True)
    marking: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # latest incident month and import dates of the data the check ran on
    data_currency: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Notice(Base):
    """A post-incident briefing note for schools, valid for a time window.

    ``geom`` is the area it covers; the schools it names (:class:`NoticeSchool`) are the
    ones it reaches (:func:`geo_risk.contract.notice_reach`)."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    what_happened: Mapped[str] = mapped_column(Text)
    what_to_do: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[dt.datetime] = mapped_column(DateTime)
    valid_to: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    geom: Mapped[WKBElement] = mapped_column(_geom("MULTIPOLYGON"))


class NoticeSchool(Base):
    """A school a notice is for: a notice that names schools reaches exactly these."""

    __tablename__ = "notice_school"
    __table_args__ = (UniqueConstraint("notice_id", "school_urn", name="uq_notice_school"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    school_urn: Mapped[str] = mapped_column(String(16))


class NoticeAck(Base):
    __tablename__ = "notice_ack"
    __table_args__ = (UniqueConstraint("notice_id", "user_id", "school_urn", name="uq_notice_ack"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    school_urn: Mapped[str] = mapped_column(String(16))
    acknowledged_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class TensionOverride(Base):
    """An analyst's recorded setting of a school's tension level, with a reason and expiry."""

    __tablename__ = "tension_override"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_urn: Mapped[str] = mapped_column(String(16), index=True)
    level: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    set_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditEvent(Base):
    """Append-only, hash-chained access log."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    username: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(24))
    purpose: Mapped[str] = mapped_column(String(40))
    pseudonym: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # session | token | cli: how the actor was signed in (None on events from before 0008)
    via: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # the account an administrator's action was about
    target: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # True: ``hash`` is an HMAC under the audit key; False: a plain SHA-256 from before 0008
    keyed: Mapped[bool] = mapped_column(Boolean, default=False)
    # a JSON object kept with the event, covered by its MAC when present (0011): e.g. the
    # candidate addresses of a placement check, with their coordinates
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class LoginAttempt(Base):
    """A sign-in attempt that has not succeeded: what the failed-login limit counts.

    Shared by every web worker and process. ``key_hash`` is a keyed hash (HMAC with the
    app's secret key) of the normalised username or of the client address, never either in
    the clear: a password typed into the username box is not kept. No password, outcome or
    user id is stored. Rows older than the longest window are deleted as attempts come in.
    """

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_key_hash_at", "key_hash", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class ImportRun(Base):
    """One file through one importer: its counts, and the rows it rejected."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    file_name: Mapped[str] = mapped_column(String(400))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows_read: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    out_of_area: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class ImportRejection(Base):
    __tablename__ = "import_rejection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id", ondelete="CASCADE"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(400))


class ChronologyEntry(Provenance, Base):
    """An entry in a young person's chronology added by an analyst or imported."""

    __tablename__ = "chronology_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_pseudonym: Mapped[str] = mapped_column(ForeignKey("person.pseudonym"), index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(24))  # concern | incident | note ...
    summary: Mapped[str] = mapped_column(Text)
    evidence_grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    inside_family: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)


class EvidenceReview(Base):
    """A recorded change to a link or place: confirm, downgrade or expire, with who and why."""

    __tablename__ = "evidence_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(8))  # link | place
    target_id: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(16))  # confirm | downgrade | expire | auto_expire
    old_grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    new_grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class PopulationCount(Base):
    """Population denominators per area and group, for disproportionality monitoring."""

    __tablename__ = "population_count"
    __table_args__ = (UniqueConstraint("area_code", "dimension", "group_value", name="uq_population"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_code: Mapped[str] = mapped_column(String(16), index=True)
    dimension: Mapped[str] = mapped_column(String(16))  # ethnicity | sex
    group_value: Mapped[str] = mapped_column(String(60))
    count: Mapped[int] = mapped_column(Integer)


Index("ix_audit_event_at", AuditEvent.at)
