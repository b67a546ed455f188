"""Exception hierarchy for geo-risk.

:class:`ValidationError` is for what a user gives (a file, a form, an option);
:class:`ConfigError` is for how the service is set up (settings, the policy file).

Every error raised on purpose by the library derives from :class:`GeoRiskError`
so that the CLI and the web app can map them to a clear message or an HTTP
status in one place.
"""

from __future__ import annotations


class GeoRiskError(Exception):
    """Base class of every error geo-risk raises on purpose."""


class ValidationError(GeoRiskError, ValueError):
    """Input is malformed or out of range; the message says how to fix it."""


class ConfigError(GeoRiskError, ValueError):
    """A setting or the policy file is wrong. Raised when the service starts, before any
    request, with every problem in one message and how to fix it."""


class CRSError(ValidationError):
    """A coordinate reference system is missing, wrong or not projected."""


class DataSourceError(GeoRiskError):
    """A data file or database cannot be read or written."""


class NotFound(GeoRiskError, LookupError):
    """A requested record does not exist (or the caller may not know it does)."""


class AccessDenied(GeoRiskError, PermissionError):
    """The caller's role or referral does not allow this action."""
