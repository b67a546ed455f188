"""Exception hierarchy for geo-risk.

Every error raised on purpose by the library derives from :class:`GeoRiskError`
so that the CLI and the web app can map them to a clear message or an HTTP
status in one place.
"""

from __future__ import annotations


class GeoRiskError(Exception):
    """Base class of every error geo-risk raises on purpose."""


class ValidationError(GeoRiskError, ValueError):
    """Input is malformed or out of range; the message says how to fix it."""


class CRSError(ValidationError):
    """A coordinate reference system is missing, wrong or not projected."""


class DataSourceError(GeoRiskError):
    """A data file or database cannot be read or written."""


class NotFound(GeoRiskError, LookupError):
    """A requested record does not exist (or the caller may not know it does)."""


class AccessDenied(GeoRiskError, PermissionError):
    """The caller's role or referral does not allow this action."""
