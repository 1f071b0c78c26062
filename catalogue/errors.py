"""Domain errors. The API maps each of them once to application/problem+json."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class CatalogueError(Exception):
    """A domain error; api/problems.py makes it problem+json from ``status``, ``title`` and ``detail``."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(CatalogueError):
    """Also what a caller gets for an entry it may not know exists."""

    status = 404
    title = "Not found"


class PermissionDenied(CatalogueError):
    """The caller may know the thing exists but may not do this to it (403)."""

    status = 403
    title = "Forbidden"


class Conflict(CatalogueError):
    """The step does not fit the state: the wrong status, a decided review, a concurrent change (409)."""

    status = 409
    title = "Conflict"


class PreconditionRequired(CatalogueError):
    """An update was sent without If-Match, so a lost update cannot be ruled out (428)."""

    status = 428
    title = "Precondition required"


class PreconditionFailed(CatalogueError):
    """If-Match names none of the current ETag: it changed since the caller read it (412)."""

    status = 412
    title = "Precondition failed"


class ValidationFailed(CatalogueError):
    """A business rule refused the input; ``errors`` maps fields to messages."""

    status = 422
    title = "Validation failed"

    def __init__(self, errors: Mapping[str, Sequence[str] | object], detail: str | None = None):
        super().__init__(detail or "The input breaks one or more rules; see errors.")
        self.errors = dict(errors)


class TooLarge(ValidationFailed):
    """Input above a configured size limit (HTTP 413), naming the field."""

    status = 413
    title = "Content too large"


class Unavailable(CatalogueError):
    """The request could not be handled now, through no fault of its own (HTTP 503);
    ``retry_after`` is the seconds after which trying again makes sense."""

    status = 503
    title = "Service Unavailable"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
