"""The frame around every page: who is signed in (name, agency, roles, clearance), the links
their roles open, the notifications count, and the notifications page; the favicon.

Everything shown of the person comes from the same standing their identity is built from
(``session.signed_in_person``), so the header never claims a role or clearance the page does
not act with. Role and level labels are in the page's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import current_app, g, render_template, request, send_from_directory, url_for
from flask_babel import lazy_gettext

from api.web.blueprint import bp, kept_query
from api.web.i18n import page_language, pick
from api.web.session import page_identity, signed_in_person
from api.web.signin import requires_sign_in
from api.wiring import db, services, tillit
from catalogue.errors import PermissionDenied
from catalogue.models import Agency
from catalogue.models_auth import User
from security.identity import AUDIT, REQUEST, REVIEW, WRITE

ROLE_LABELS = {
    "data_owner": lazy_gettext("Data owner"),
    "security_officer": lazy_gettext("Security officer"),
    "auditor": lazy_gettext("Auditor"),
    "admin": lazy_gettext("Administrator"),
    "developer": lazy_gettext("Developer"),
}
KIND_LABELS = {
    "review.requested": lazy_gettext("A review waits for a decision"),
    "reviews.requested": lazy_gettext("Reviews opened together wait for a decision"),
    "review.approved": lazy_gettext("A review was approved"),
    "review.rejected": lazy_gettext("A review was rejected"),
    "access.submitted": lazy_gettext("An access request waits for assessment"),
    "grant.expiring": lazy_gettext("A grant ends within 30 days"),
    "grant.revoked": lazy_gettext("A grant was revoked"),
}
#: Header links: (endpoint, label, scopes any of which shows it; none: everyone). The
#: pages behind them belong to the discover and work parts; a link shows only once its
#: endpoint exists.
NAV = (
    ("web.home", lazy_gettext("Search"), ()),
    ("web.my_entries", lazy_gettext("My agency's entries"), (WRITE,)),
    ("web.review_queue", lazy_gettext("Review queue"), (REVIEW,)),
    ("web.audit_log", lazy_gettext("Audit log"), (AUDIT,)),
    ("web.my_access_requests", lazy_gettext("My agency's access requests"), (WRITE, REQUEST)),
    ("web.access_queue", lazy_gettext("Requests to my agency"), (REVIEW,)),
    ("web.grants", lazy_gettext("Grants register"), (WRITE, REQUEST, REVIEW, AUDIT)),
)


@dataclass(frozen=True)
class Me:
    """The person signed in, as the header shows them."""

    name: str
    agency: str
    roles: tuple[str, ...]
    clearance: str
    notifications: int | None


def me() -> Me | None:
    """The header's person, or None (anonymous, a bearer token, or an error page that must
    not touch the database)."""
    if g.get("bare_page"):
        return None
    if "shell_me" in g:
        found: Me | None = g.shell_me
        return found
    g.shell_me = found = _me()
    return found


def _me() -> Me | None:
    signed_in = signed_in_person()
    if signed_in is None:
        return None
    user_id, standing = signed_in
    identity = page_identity()
    lang = page_language()
    user = db().get(User, user_id)
    agency = db().get(Agency, standing.agency)
    level = tillit().scheme.level(identity.clearance) if identity.clearance else None
    return Me(
        name=user.name if user else "",
        agency=pick(agency.name, lang) if agency else standing.agency,
        roles=tuple(str(ROLE_LABELS.get(r, r)) for r in standing.roles),
        clearance=pick(dict(level.labels), lang) if level else "",
        notifications=_notification_count(),
    )


def _notification_count() -> int | None:
    try:
        return services().notifications.list_for(page_identity(), per_page=1).total
    except PermissionDenied:  # neither a data owner nor a security officer: no queue
        return None


def nav_links() -> list[tuple[str, str]]:
    """(url, label) of the header's links this reader's roles open."""
    identity = page_identity() if not g.get("bare_page") else None
    views = current_app.view_functions
    links = []
    for endpoint, label, scopes in NAV:
        if endpoint not in views:
            continue
        if scopes and (identity is None or not any(identity.has_scope(s) for s in scopes)):
            continue
        links.append((endpoint, str(label)))
    return links


def signin_url() -> str:
    """The header's "Sign in": back to this page afterwards, its query kept (a search with
    its filters). Only a GET page is come back to; the query is re-encoded from what the page
    understood (``blueprint.kept_query``), never copied raw, and the template escapes the
    link like any other value."""
    if request.method != "GET" or request.endpoint is None:
        return url_for("web.signin.sign_in")
    lang = request.args.get("lang")
    query = urlencode(kept_query() + ([("lang", lang)] if lang else []))
    return url_for("web.signin.sign_in", next=f"{request.path}?{query}" if query else request.path)


def reader_is_anonymous() -> bool:
    """Whether the page is read by nobody in particular (the footer's "You see what the
    Public level may see."): not a person signed in, not a bearer token's identity. An
    error page drawn bare (a 5xx, a refused token) asks nothing more and says nothing."""
    return not g.get("bare_page") and page_identity().kind == "anonymous"


@bp.app_context_processor
def _shell() -> dict[str, Any]:
    # page_lang: for templates outside the pages (the authorization server's login page).
    return {
        "shell_me": me,
        "shell_nav": nav_links,
        "role_labels": ROLE_LABELS,
        "page_lang": page_language,
        # The authorization server's login page takes this frame (authserver/login.py).
        "auth_layout": "auth_frame.html",
        "signin_url": signin_url,
        "reader_is_anonymous": reader_is_anonymous,
    }


@bp.get("/notifications")
@requires_sign_in
def notifications() -> Any:
    """The signed-in person's queue: their agency's notices for their roles."""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    try:
        listing = services().notifications.list_for(page_identity(), page=page, per_page=20)
    except PermissionDenied:
        listing = None
    labels = {kind: str(label) for kind, label in KIND_LABELS.items()}
    return render_template("notifications.html", listing=listing, page=page, kind_labels=labels)


@bp.get("/favicon.ico")
def favicon() -> Any:
    return send_from_directory(bp.static_folder or "", "favicon.svg", mimetype="image/svg+xml", max_age=86400)
