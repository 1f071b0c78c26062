"""Access requests and grants in the browser (issue 19, docs/access.md "The web pages").

Every page acts with ``page_identity()`` through ``AccessRequestService`` and
``GrantService``, exactly as the API's ``/api/v1/access-requests`` and ``/api/v1/grants``:
the services decide who may ask, follow, assess, decide, revoke and renew, and their
refusals are what the pages show. A link or a form is offered where the policy would allow
it (``security.policy``, the functions the services decide with), which grants nothing.

- A request is asked for from an entry the reader may see at least as a summary
  (``EntryService.get``): a hidden entry's form answers the one 404 of a missing id
  (``pages.not_found``), as its entry page does.
- A request or a grant of another agency, by id, is that same 404 (the services' NotFound).
- Every page is for someone signed in (``requires_sign_in``: an anonymous reader is sent to
  sign in first, before any id is looked up, so the redirect says nothing of the id).
- The provider's officers see the assessment (flags and their reasons, the entry's
  disclosure bases and sharing status, the requester's basis, the elements and operations
  with their classification); the requester sees its request, its steps and the reason.
- Legal bases show their statute's name in the page's language, the reference beside it
  (``_statutes``); the lists are one helper (``_list_page``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.web import access_forms as af
from api.web import labels
from api.web import work_forms as wf
from api.web.blueprint import bp
from api.web.i18n import page_language
from api.web.pages import not_found
from api.web.session import page_identity
from api.web.signin import requires_sign_in
from api.web.work_common import people_labels
from api.wiring import services
from catalogue import access
from catalogue.errors import CatalogueError, NotFound, PermissionDenied, ValidationFailed
from catalogue.services.common import Page
from catalogue.statutes import citations
from security import policy
from security.identity import Identity

PER_PAGE = 20
GRANT_STATES = ("active", "pending", "expired", "revoked")


@bp.app_context_processor
def _access_globals() -> dict[str, Any]:
    return {"access_label": af.access_label, "access_links": access_links}


def access_links(e: Any) -> dict[str, bool]:
    """What the entry page offers this reader about access to entry ``e`` (its document)."""
    identity = page_identity()
    publisher = e.get("publisher") if hasattr(e, "get") else None
    own = identity.agency is not None and identity.agency == publisher
    return {
        "request": policy.can_request_access(identity) and not own,
        "follow": identity.agency is not None and policy.can_follow_access(identity, identity.agency),
    }


def _agencies(identity: Identity, orgnrs: list[str]) -> dict[str, str]:
    return labels.agency_names(identity, sorted(set(orgnrs)), page_language())


def _statutes(identity: Identity, value: Any) -> dict[str, str]:
    """Reference → the statute's name in the page's language, for each legal basis in
    ``value`` the register knows (``labels.statute_names``, as the search facets): one
    query. ``access/_basis.html`` shows the name with the reference beside it."""
    cited = [c["reference"] for c in citations(value)]
    return labels.statute_names(identity, dict.fromkeys(cited), page_language()) if cited else {}


# -- asking ---------------------------------------------------------------------------
@bp.route("/entries/<entry_id>/request-access", methods=["GET", "POST"])
@requires_sign_in
def request_access(entry_id: str) -> Any:
    """The request form for an entry the reader may see (a hidden one is not found)."""
    identity = page_identity()
    try:
        view = services().entries.get(identity, entry_id)
    except (NotFound, ValidationFailed):
        not_found()
    values: dict[str, Any] = af.initial_request()
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        posted = wf.FormInput(request.form, request.files, 0)
        data = af.parse_request(entry_id, posted)
        values = {k: v for k, v in data.items() if k != "entry"}
        if request.form.get("action") != "add":
            loaded, errors = af.load_request(data)
            status = 422
            if not errors:
                try:
                    made = services().access_requests.create(identity, loaded)
                except ValidationFailed as exc:
                    errors = wf.flatten(exc.errors)
                except PermissionDenied as exc:
                    errors, status = {"": [exc.detail]}, 403
                else:
                    return redirect(
                        url_for("web.access_request", request_id=made.request.id, done="sent"), 303
                    )
    ws = af.request_widgets()
    placed = wf.place(errors, wf.shown_paths(ws, values))
    e = view.document
    return (
        render_template(
            "access/request_form.html",
            e=e,
            full=view.full,
            widgets=ws,
            values=values,
            errors=placed,
            choices=af.request_choices(identity, e, view.full),
            summary_hint=af.SUMMARY_OPERATIONS_HINT,
            may_ask=access_links(e)["request"],
            publisher=_agencies(identity, [str(e["publisher"])]).get(str(e["publisher"]), e["publisher"]),
        ),
        status,
    )


# -- lists ----------------------------------------------------------------------------
def _chosen(name: str, allowed: Sequence[str]) -> str | None:
    """The query's ``name`` if it is one of ``allowed`` (anything else is no filter, never echoed)."""
    value = request.args.get(name)
    return value if value in allowed else None


def _list_page(
    template: str,
    listed: Callable[[Identity, int], Page[Any]],
    agencies_of: Callable[[Any], Iterable[str]],
    cites: Callable[[Any], Any] = lambda item: None,
    **context: Any,
) -> Any:
    """A page of a service's list (``listed(identity, page)``): its items, total and pages,
    the names of the agencies ``agencies_of`` each item names and of the statutes the legal
    bases it ``cites`` name, and the service's refusal (403, its words) instead of the list
    for a reader it is not for."""
    identity = page_identity()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    items: list[Any] = []
    total, status, refused = 0, 200, None
    try:
        listing = listed(identity, page)
        items, total = listing.items, listing.total
    except PermissionDenied as exc:
        refused, status = exc.detail, 403
    return (
        render_template(
            template,
            items=items,
            total=total,
            page=page,
            pages=max(1, -(-total // PER_PAGE)),
            refused=refused,
            agencies=_agencies(identity, [orgnr for item in items for orgnr in agencies_of(item)]),
            statutes=_statutes(identity, [cites(item) for item in items]),
            **context,
        ),
        status,
    )


def _request_list(incoming: bool) -> Any:
    state = _chosen("state", access.STATES)
    return _list_page(
        "access/requests.html",
        lambda identity, page: services().access_requests.list_requests(
            identity, incoming=incoming, state=state, page=page, per_page=PER_PAGE
        ),
        lambda v: (v.request.requester_agency, v.request.provider_agency),
        incoming=incoming,
        state=state or "",
        states=access.STATES,
    )


@bp.get("/access/requests")
@requires_sign_in
def my_access_requests() -> Any:
    """Your agency's requests to other agencies, with their state."""
    return _request_list(incoming=False)


@bp.get("/access/incoming")
@requires_sign_in
def access_queue() -> Any:
    """The requests made to your agency: the security officers' queue."""
    return _request_list(incoming=True)


# -- one request ----------------------------------------------------------------------
def _request_page(request_id: str, status: int = 200, **extra: Any) -> Any:
    identity = page_identity()
    try:
        view = services().access_requests.get(identity, request_id)
    except NotFound:
        not_found()
    r = view.request
    me = identity.person or identity.subject
    deciding = view.provider and policy.can_decide_access(identity, view.entry.facts)
    names = people_labels([r.requested_by, r.assessed_by, r.decided_by, *(s.get("by") for s in r.steps)])
    decision = extra.pop("asked", None) or {
        "decision": "",
        "valid_from": "",
        "valid_until": (r.period_end.isoformat() if r.period_end else ""),
        "operations": [o["name"] for o in view.operations if o.get("known", True)],
        "data_elements": list(r.data_elements),
        "basis": "0" if view.disclosure_bases else "",
    }
    return (
        render_template(
            "access/request.html",
            v=view,
            r=r,
            entry_title=view.entry.title,
            deciding=deciding,
            assessor=bool(me) and r.assessed_by == me,
            renewable=(
                not view.provider and view.grant_id is not None and policy.can_request_access(identity)
            ),
            withdrawable=(
                not view.provider and r.state in access.OPEN_STATES and policy.can_request_access(identity)
            ),
            names=names,
            agencies=_agencies(identity, [r.requester_agency, r.provider_agency]),
            statutes=_statutes(identity, [r.processing_basis, view.disclosure_bases]),
            element_names=labels.element_labels(identity, page_language()),
            sharing=labels.SHARING,
            sharing_meanings=labels.SHARING_MEANINGS,
            decision=decision,
            errors=extra.pop("errors", {}),
            **extra,
        ),
        status,
    )


@bp.get("/access/requests/<request_id>")
@requires_sign_in
def access_request(request_id: str) -> Any:
    """One request: the assessment (provider) or the request and its answer (requester)."""
    return _request_page(request_id)


def _acted(request_id: str, act: Any, done: str) -> Any:
    """Do ``act`` (a service call); its refusal is shown on the request's page."""
    try:
        act()
    except NotFound:
        not_found()
    except ValidationFailed as exc:
        return _request_page(request_id, 422, errors=wf.flatten(exc.errors))
    except CatalogueError as exc:
        return _request_page(request_id, exc.status, errors={"": [exc.detail]})
    return redirect(url_for("web.access_request", request_id=request_id, done=done), 303)


@bp.post("/access/requests/<request_id>/assess")
@requires_sign_in
def assess_access(request_id: str) -> Any:
    """Take a request into assessment (the providing agency's security officer)."""
    return _acted(
        request_id, lambda: services().access_requests.assess(page_identity(), request_id), "assessed"
    )


@bp.post("/access/requests/<request_id>/withdraw")
@requires_sign_in
def withdraw_access(request_id: str) -> Any:
    """The requesting agency takes back its request."""
    reason = request.form.get("reason", "")
    return _acted(
        request_id,
        lambda: services().access_requests.withdraw(page_identity(), request_id, reason),
        "withdrawn",
    )


@bp.post("/access/requests/<request_id>/decision")
@requires_sign_in
def decide_access(request_id: str) -> Any:
    """Grant (naming one of the entry's disclosure bases) or refuse: the service decides who may."""
    identity = page_identity()
    try:
        view = services().access_requests.get(identity, request_id)
    except NotFound:
        not_found()
    body, asked = af.parse_decision(request.form, request.form.getlist, view.disclosure_bases or [])
    data, errors = af.load_decision(body)
    errors.update(af.nothing_ticked(body, view))
    if errors:
        return _request_page(request_id, 422, errors=errors, asked=asked)
    try:
        services().access_requests.decide(identity, request_id, data)
    except NotFound:
        not_found()
    except ValidationFailed as exc:
        return _request_page(request_id, 422, errors=wf.flatten(exc.errors), asked=asked)
    except CatalogueError as exc:
        return _request_page(request_id, exc.status, errors={"": [exc.detail]}, asked=asked)
    return redirect(url_for("web.access_request", request_id=request_id, done="decided"), 303)


@bp.post("/access/requests/<request_id>/renew")
@requires_sign_in
def renew_access(request_id: str) -> Any:
    """A new request pre-filled from a granted one (the service makes it; it is assessed anew)."""
    try:
        made = services().access_requests.renew(page_identity(), request_id)
    except NotFound:
        not_found()
    except CatalogueError as exc:
        return _request_page(request_id, exc.status, errors={"": [exc.detail]})
    return redirect(url_for("web.access_request", request_id=made.request.id, done="renewed"), 303)


# -- grants ---------------------------------------------------------------------------
@bp.get("/access/grants")
@requires_sign_in
def grants() -> Any:
    """The register: who may read what of ours, and what we may read of others', under which law."""
    direction = _chosen("direction", ("given", "received"))
    state = _chosen("state", GRANT_STATES)
    return _list_page(
        "access/grants.html",
        lambda identity, page: services().grants.list_grants(
            identity, direction=direction, state=state, page=page, per_page=PER_PAGE
        ),
        lambda g: (g.grant.provider_agency, g.grant.subject_agency),
        lambda g: [g.grant.disclosure_basis, g.grant.processing_basis],
        direction=direction or "",
        state=state or "",
        states=GRANT_STATES,
    )


def _grant_page(grant_id: str, status: int = 200, **extra: Any) -> Any:
    identity = page_identity()
    try:
        view = services().grants.get(identity, grant_id)
    except NotFound:
        not_found()
    g = view.grant
    return (
        render_template(
            "access/grant.html",
            v=view,
            gr=g,
            revocable=(
                view.side == "provider"
                and g.revoked_at is None
                and policy.can_decide_access(identity, view.entry.facts)
            ),
            renewable=view.side == "subject" and policy.can_request_access(identity),
            names=people_labels([g.decided_by, g.revoked_by]),
            element_names=labels.element_labels(identity, page_language()) if g.data_elements else {},
            agencies=_agencies(identity, [g.provider_agency, g.subject_agency]),
            statutes=_statutes(identity, [g.disclosure_basis, g.processing_basis]),
            errors=extra.pop("errors", {}),
            reason=extra.pop("reason", ""),
        ),
        status,
    )


@bp.get("/access/grants/<grant_id>")
@requires_sign_in
def grant(grant_id: str) -> Any:
    """One grant: subject, object, validity, both legal bases, decision, revocation."""
    return _grant_page(grant_id)


@bp.post("/access/grants/<grant_id>/revoke")
@requires_sign_in
def revoke_grant(grant_id: str) -> Any:
    """The provider ends a grant at once, with a reason the subject reads."""
    reason = request.form.get("reason", "")
    try:
        services().grants.revoke(page_identity(), grant_id, reason)
    except NotFound:
        not_found()
    except ValidationFailed as exc:
        return _grant_page(grant_id, 422, errors=wf.flatten(exc.errors), reason=reason)
    except CatalogueError as exc:
        return _grant_page(grant_id, exc.status, errors={"": [exc.detail]}, reason=reason)
    return redirect(url_for("web.grant", grant_id=grant_id, done="revoked"), 303)


__all__ = ["_", "access_request", "grant", "grants", "request_access"]
