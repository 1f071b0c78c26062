"""Officers' and auditors' pages: an entry's classification history, who has read it, and
the audit log with filters and export (CSV and JSON Lines).

Each calls the service the API calls (``ReviewService.history``, ``list_events``, ``export``;
for readers ``AuditService.reader_visits``, the API's ``readers`` folded into one line per
visit: docs/web.md) with the page's identity; people are shown by name and agency
(``people_labels``, the API's actor labels with the same agreement rule), and the statutes an
event's details cite by name in the page's language with the reference beside it (the API's
``name_statutes``; an unknown statute by its reference alone). A reader without
the right to an entry's history or readers gets the page of a missing one (404): the
page tells no more than "not found" about an entry it may not follow.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from itertools import chain
from typing import Any

from flask import Response, abort, render_template, request, stream_with_context
from flask_babel import gettext as _
from marshmallow import ValidationError

from api.resources.audit import AuditQueryArgsSchema, name_statutes
from api.resources.people import label_events
from api.resources.reviews import AuditEventSchema
from api.web import work_forms as wf
from api.web.blueprint import bp
from api.web.i18n import page_language
from api.web.session import page_identity
from api.web.work_common import people_labels
from api.wiring import services
from catalogue.errors import NotFound, PermissionDenied
from catalogue.services.audit import ShownEvent, as_json_lines
from catalogue.services.reader_visits import VISIT_SECONDS

AUDIT_FILTERS = ("entry", "actor", "agency", "action", "since", "until")
#: The CSV export's columns: what the JSON export holds, flattened (details as JSON).
CSV_COLUMNS = (
    "seq", "at", "action", "decision", "actor", "actor_agency", "client_id", "address",
    "entry_id", "entry_agency", "entry_level", "details", "redacted", "prev_hash", "hash",
)  # fmt: skip


@bp.get("/work/entries/<entry_id>/history")
def classification_history(entry_id: str) -> Any:
    """Each level the entry has had, who decided (by name), when and why."""
    identity = page_identity()
    try:
        entry = services().entries.get(identity, entry_id)
        reviews = services().reviews.history(identity, entry_id)
    except (NotFound, PermissionDenied):
        abort(404)
    names = people_labels(r.decided_by for r in reviews)
    return render_template("work/history.html", entry=entry.document, reviews=reviews, names=names)


@bp.get("/work/entries/<entry_id>/readers")
def readers(entry_id: str) -> Any:
    """Who has read the entry: people by name and agency, newest first."""
    identity = page_identity()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    try:
        found = services().audit.reader_visits(identity, entry_id, page=page, per_page=50)
        entry = services().entries.get(identity, entry_id)
    except (NotFound, PermissionDenied):
        abort(404)
    # One line per visit (catalogue.services.reader_visits): its reader, when, what was shown.
    firsts = AuditEventSchema(many=True).dump([first for _visit, first in found.items])
    events = label_events(firsts, (identity, page_language()))
    visits = [{**event, "visit": visit} for event, (visit, _first) in zip(events, found.items, strict=True)]
    return render_template(
        "work/readers.html",
        entry=entry.document,
        visits=visits,
        total=found.total,
        page=page,
        visit_minutes=VISIT_SECONDS // 60,
    )


def _audit_filters() -> tuple[dict[str, str], dict[str, Any], dict[str, list[str]]]:
    """The filters asked for, as loaded by the API's schema, and its messages."""
    asked = {k: v for k, v in request.args.items() if v and k in (*AUDIT_FILTERS, "page")}
    try:
        args = AuditQueryArgsSchema().load(asked)
        errors: dict[str, list[str]] = {}
    except ValidationError as exc:
        errors = wf.flatten(exc.messages)
        args = AuditQueryArgsSchema().load({k: v for k, v in asked.items() if k not in errors})
    return asked, args, errors


@bp.get("/work/audit")
def audit_log() -> Any:
    """The audit log, newest first, with the API's filters and links to export."""
    asked, args, errors = _audit_filters()
    identity = page_identity()
    try:
        found = services().audit.list_events(
            identity, page=args["page"], per_page=50, **{k: args.get(k) for k in AUDIT_FILTERS}
        )
    except PermissionDenied as exc:
        return render_template("work/message.html", title=_("Audit log"), message=exc.detail), 403
    reader = (identity, page_language())
    events = name_statutes(label_events([_event_body(e) for e in found.items], reader), reader)
    exports = {
        fmt: {**{k: v for k, v in asked.items() if k != "page"}, "format": fmt} for fmt in ("csv", "json")
    }
    return render_template(
        "work/audit.html",
        events=events,
        total=found.total,
        page=args["page"],
        asked=asked,
        errors=errors,
        exports=exports,
    )


def _event_body(shown: ShownEvent) -> dict[str, Any]:
    body = dict(AuditEventSchema().dump(shown.event))
    body["details"] = shown.details
    body["redacted"] = shown.redacted
    return body


@bp.get("/work/audit/export")
def audit_export() -> Any:
    """Every matching event, oldest first: ``format=json`` (JSON Lines, as the API's
    export) or ``csv`` (the same fields, details as JSON)."""
    _asked, args, errors = _audit_filters()
    if errors:
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        return render_template("work/message.html", title=_("Audit log"), message=message), 422
    events = services().audit.export(page_identity(), **{k: args.get(k) for k in AUDIT_FILTERS})
    try:
        first = next(events, None)  # the generator refuses on its first step
    except PermissionDenied as exc:
        return render_template("work/message.html", title=_("Audit log"), message=exc.detail), 403
    every = chain([first] if first is not None else [], events)
    as_csv = request.args.get("format") == "csv"
    body = _csv(every) if as_csv else as_json_lines(every)
    response = Response(stream_with_context(body), mimetype="text/csv" if as_csv else "application/x-ndjson")
    name = "tillit-audit." + ("csv" if as_csv else "jsonl")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet never runs: a leading =, +, - or @ is quoted with '."""
    text = (
        json.dumps(value, ensure_ascii=False, sort_keys=True)
        if isinstance(value, dict | list)
        else ("" if value is None else str(value))
    )
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(events: Iterator[ShownEvent]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for shown in events:
        exported = shown.exported()
        writer.writerow([_cell(exported.get(c)) for c in CSV_COLUMNS])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()
