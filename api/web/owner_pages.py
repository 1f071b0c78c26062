"""Data owners' pages: register and edit datasets and APIs, submit them for review, and
"my agency's entries" with their status.

Every decision is the services' (``services()`` with ``page_identity()``), as through the
API: the forms are the API's input schemas (``work_forms``), a refusal is shown as the
service words it, and an edit carries the ETag of the version the form was built from
(a hidden field: the API's If-Match), so a stale edit is caught by the service. A change
to a published entry is first checked with ``EntryService.reviewed_changes`` (the rule
``update`` applies) and the page says which changes will wait for a security officer
before anything is saved.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.web import work_forms as wf
from api.web.blueprint import bp
from api.web.session import page_identity
from api.web.work_common import form_choices, rule_notes
from api.wiring import services, tillit
from catalogue.errors import (
    CatalogueError,
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from catalogue.services.entries import EntryView
from security import policy

TYPES = "<any(dataset, api):entry_type>"
#: The statuses a data owner filters "my agency's entries" by (labels: work_common.VALUE_LABELS).
STATUS_LABELS = policy.STATUSES


def _posted(entry_type: str, creating: bool) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """The posted form: what it holds (shown again), the API's loaded input, and the messages."""
    posted = wf.FormInput(request.form, request.files, tillit().openapi_limits.max_bytes)
    ws = wf.widgets(entry_type, creating=creating)
    data = wf.parse(ws, posted)
    loaded, errors = wf.load(entry_type, creating, data)
    for path, texts in posted.errors.items():
        errors.setdefault(path, []).extend(texts)
    values = dict(data)
    if entry_type == "api":
        values["openapi"] = posted.form.get("openapi", "")
    return values, loaded, errors


def _form(
    entry_type: str,
    *,
    creating: bool,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    **extra: Any,
) -> Any:
    ws = wf.widgets(entry_type, creating=creating)
    placed = wf.place(errors or {}, wf.shown_paths(ws, values))
    return (
        render_template(
            "work/entry_form.html",
            entry_type=entry_type,
            creating=creating,
            widgets=ws,
            values=values,
            errors=placed,
            choices=form_choices(page_identity(), entry_type, values),
            rules=rule_notes(),
            **extra,
        ),
        status,
    )


@bp.route(f"/work/new/{TYPES}", methods=["GET", "POST"])
def new_entry(entry_type: str) -> Any:
    """Register a dataset or an API: saved as a draft of your agency."""
    identity = page_identity()
    if request.method == "GET":
        return _form(entry_type, creating=True, values={"publisher": identity.agency or ""})
    values, loaded, errors = _posted(entry_type, creating=True)
    if request.form.get("action") == "add":  # another row: shown again, nothing saved
        return _form(entry_type, creating=True, values=values)
    status = 422
    if not errors:
        try:
            view = services().entries.create(identity, entry_type, loaded)
        except ValidationFailed as exc:
            errors = wf.flatten(exc.errors)
        except PermissionDenied as exc:
            errors, status = {"": [exc.detail]}, 403
        else:
            return redirect(url_for("web.edit_entry", entry_id=view.entry.id, done="created"), 303)
    return _form(entry_type, creating=True, values=values, errors=errors, status=status)


def _entry(entry_id: str) -> EntryView:
    """The entry whole, or the page of a missing one (a summary cannot be edited)."""
    try:
        view = services().entries.get(page_identity(), entry_id)
    except NotFound:
        abort(404)
    if not view.full:
        abort(404)
    return view


@bp.route("/work/entries/<entry_id>/edit", methods=["GET", "POST"])
def edit_entry(entry_id: str) -> Any:
    """Change an entry; on a published one, first see which changes wait for review."""
    identity = page_identity()
    view = _entry(entry_id)
    doc = view.document
    entry_type = str(doc["type"])
    ws = wf.widgets(entry_type, creating=False)
    common: dict[str, Any] = {"entry": doc, "entry_id": entry_id}
    if request.method == "GET":
        return _form(
            entry_type,
            creating=False,
            values=wf.values_of(doc, ws),
            etag=view.etag,
            keep_openapi=True,
            **common,
        )
    values, loaded, errors = _posted(entry_type, creating=False)
    keep_openapi = request.form.get("keep_openapi") == "on"
    if keep_openapi and not values.get("openapi", "").strip():
        loaded.pop("openapi", None)  # the stored document stays (a PATCH of the rest)
    etag = request.form.get("etag", "")
    extra: dict[str, Any] = {"etag": etag, "keep_openapi": keep_openapi, **common}
    if request.form.get("action") == "add":
        return _form(entry_type, creating=False, values=values, **extra)
    if errors:
        return _form(entry_type, creating=False, values=values, errors=errors, status=422, **extra)
    entries = services().entries
    try:
        if request.form.get("action") != "confirm":
            waiting = entries.reviewed_changes(identity, entry_id, loaded, entry_type)
            if waiting:
                labels = [str(wf.LABELS.get(f, f)) for f in waiting]
                return _form(entry_type, creating=False, values=values, waiting=labels, **extra)
        saved = entries.update(identity, entry_id, loaded, etag, entry_type)
    except ValidationFailed as exc:
        return _form(
            entry_type, creating=False, values=values, errors=wf.flatten(exc.errors), status=422, **extra
        )
    except (PreconditionFailed, PreconditionRequired):
        # Someone saved first: the input stays; the form now carries the current version's
        # ETag, so saving again (after reading what changed) replaces it knowingly.
        current = _entry(entry_id)
        # Where the entry as it now stands differs from what this person sent.
        theirs = {**loaded, "listing_level": loaded.get("listing_level") or loaded.get("classification")}
        changed = [
            str(w.label)
            for w in ws
            if w.name in loaded
            and wf.comparable(w.name, current.document.get(w.name)) != wf.comparable(w.name, theirs[w.name])
        ]
        extra.update(etag=current.etag, entry=current.document)
        return _form(entry_type, creating=False, values=values, stale=changed or True, status=409, **extra)
    except (Conflict, PermissionDenied) as exc:
        return _form(
            entry_type, creating=False, values=values, errors={"": [exc.detail]}, status=exc.status, **extra
        )
    done = "review" if saved.pending_review else "saved"
    return redirect(url_for("web.edit_entry", entry_id=entry_id, done=done, review=saved.pending_review), 303)


@bp.post("/work/entries/<entry_id>/submit")
def submit_entry(entry_id: str) -> Any:
    """Send a draft to a security officer."""
    try:
        services().reviews.submit(page_identity(), entry_id)
    except NotFound:
        abort(404)
    except CatalogueError as exc:
        return render_template("work/message.html", title=_("Not submitted"), message=exc.detail), exc.status
    return redirect(url_for("web.edit_entry", entry_id=entry_id, done="submitted"), 303)


@bp.get("/work/mine")
def my_entries() -> Any:
    """Your agency's entries, every status, with links to edit and submit them."""
    identity = page_identity()
    status = request.args.get("status")
    status = status if status in STATUS_LABELS else None
    page = max(1, request.args.get("page", 1, type=int) or 1)
    items: list[dict[str, Any]] = []
    total = 0
    if identity.agency is not None:
        listing = services().entries.list_entries(
            identity, publisher=identity.agency, status=status, page=page, per_page=20
        )
        items = [dict(v.document) for v in listing.items]
        total = listing.total
    return render_template(
        "work/mine.html",
        items=items,
        total=total,
        page=page,
        status=status or "",
        statuses=STATUS_LABELS,
        # Offered only to whom the service would let register one (a developer reads here).
        may_register=identity.agency is not None and policy.can_create(identity, identity.agency),
    )
