"""The access pages' forms and words: the request form derived from the API's own schema,
the decision form read with the API's decision schema, and the labels of the access
vocabulary (states, purposes, flags) in the page's language.

The request form is ``AccessRequestCreateSchema`` made into widgets by the entry forms'
machinery (``work_forms.schema_widgets``): the same widget kinds, the same
``parse``/``flatten``/``place`` round trip, so each message of the API's schema and of
``AccessRequestService`` is shown beside its own field, as on the entry forms. Only what the
page knows better than the schema is set here: the entry is the page's, a processing basis
is always of role ``processing`` (the row has no role to choose), and the choices (purposes,
data elements with special categories marked, the operations the reader may see) come from
the services at the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from api.resources.access import AccessDecisionSchema, AccessRequestCreateSchema
from api.web import work_forms as wf
from api.web.i18n import page_language, pick
from api.web.work_common import form_choices
from api.wiring import services
from catalogue import access
from catalogue.access import operation_key
from catalogue.services.access_request_views import RequestView
from security.identity import Identity

#: The page's words for the request's fields (the entry forms' words for the shared ones).
LABELS: Mapping[str, Any] = {
    "operations": _l("Operations"),
    "purpose": _l("Purpose"),
    "purpose_code": _l("Purpose code (W3C Data Privacy Vocabulary)"),
    "processing_basis": _l("Your agency's processing basis"),
    "data_elements": _l("Data elements needed"),
    "period_start": _l("First day"),
    "period_end": _l("Last day"),
    "consumer_client_id": _l("Consuming system: a Tillit client of your agency (client id)"),
    "consumer_xroad": _l("Or an X-Road subsystem"),
    "contact": _l("Contact"),
}
HINTS: Mapping[str, Any] = {
    "operations": _l("Tick the operations you need; none: the whole API."),
    "purpose": _l("What your agency will do with the data, and why it needs it."),
    "processing_basis": _l(
        "The law that lets your agency process the data it asks for. Needed when the data is "
        "personal data: without it the request cannot be granted."
    ),
    "data_elements": _l("Only what you need: the provider sees this list (data minimisation)."),
    "period_end": _l("At most five years after the first day."),
    "consumer_xroad": _l("INSTANCE/MEMBERCLASS/MEMBERCODE/SUBSYSTEM, for example NO/GOV/974761076/skatt."),
    "consumer_client_id": _l("Name exactly one consuming system: a client, or an X-Road subsystem."),
}
#: Operations named by a reader of the summary, who does not see the API's operations.
SUMMARY_OPERATIONS_HINT = _l(
    "You see a summary, so the API's operations are not shown to you: name those you need, one a "
    "line (operationId, or METHOD /path), or leave empty for the whole API. The provider's officer "
    "sees any name the API does not have."
)
#: DPV purposes (catalogue.access.PURPOSES), in the page's language.
PURPOSES: Mapping[str, Any] = {
    "dpv:LegalCompliance": _l("Legal compliance: fulfilling a legal or statutory obligation"),
    "dpv:FulfilmentOfObligation": _l("Fulfilment of an obligation"),
    "dpv:FraudPreventionAndDetection": _l("Fraud prevention and detection"),
    "dpv:IdentityVerification": _l("Identity verification"),
    "dpv:ImprovePublicServices": _l("Improving public services"),
    "dpv:EnforceSecurity": _l("Enforcing security"),
    "dpv:ResearchAndDevelopment": _l("Research and development"),
    "dpv:AcademicResearch": _l("Academic research"),
}
STATES: Mapping[str, Any] = {
    "submitted": _l("Submitted"),
    "in_assessment": _l("In assessment"),
    "granted": _l("Granted"),
    "refused": _l("Refused"),
    "withdrawn": _l("Withdrawn"),
    # grants
    "active": _l("Active"),
    "pending": _l("Not yet valid"),
    "expired": _l("Expired"),
    "revoked": _l("Revoked"),
}
FLAGS: Mapping[str, Any] = {
    "no_disclosure_basis": _l("No disclosure basis"),
    "no_processing_basis": _l("No processing basis"),
    "unknown_operations": _l("Unknown operations"),
    "special_category": _l("Special categories of personal data"),
    "above_requester_clearance": _l("Above the requesting agency's clearance"),
}
#: The request schema's fields the page sets itself.
NOT_ASKED = ("entry",)
#: A grant's default validity, as the issue's story grants it.
DEFAULT_VALIDITY = timedelta(days=365)


def access_label(value: Any) -> str:
    """The page's word for a state, a purpose or a flag code, else the value itself."""
    for table in (STATES, PURPOSES, FLAGS):
        if str(value) in table:
            return str(table[str(value)])
    return str(value)


@dataclass(frozen=True)
class AccessWidget(wf.Widget):
    """A widget of the request form: the access words first, the entry forms' otherwise."""

    @property
    def label(self) -> Any:
        return LABELS.get(self.name) or super().label

    @property
    def hint(self) -> Any:
        return HINTS.get(self.name) or super().hint


def _ours(w: wf.Widget, **changes: Any) -> AccessWidget:
    values = {f.name: getattr(w, f.name) for f in fields(w)}
    values["children"] = tuple(_ours(c) for c in w.children)
    return AccessWidget(**{**values, **changes})


def request_widgets() -> tuple[AccessWidget, ...]:
    """The request form: the API's schema less what the page sets, a basis without a role."""
    found = []
    for w in wf.schema_widgets(AccessRequestCreateSchema()):
        if w.name in NOT_ASKED:
            continue
        if w.name == "processing_basis":
            w = replace(w, children=tuple(c for c in w.children if c.name != "role"))
        found.append(_ours(w))
    return tuple(found)


def parse_request(entry_id: str, posted: wf.FormInput) -> dict[str, Any]:
    """The posted request form as the API's JSON body."""
    data = wf.parse(request_widgets(), posted)
    data["processing_basis"] = [{**b, "role": "processing"} for b in data.get("processing_basis") or []]
    return {**data, "entry": entry_id}


def load_request(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The API's schema on the parsed form: its loaded data, or its messages by path."""
    try:
        return AccessRequestCreateSchema().load(data), {}
    except ValidationError as exc:
        return {}, wf.flatten(exc.messages)


def initial_request() -> dict[str, Any]:
    """What a new request form starts with: a year from today."""
    today = date.today()
    return {"period_start": today.isoformat(), "period_end": (today + DEFAULT_VALIDITY).isoformat()}


def element_choices(identity: Identity) -> list[tuple[str, str]]:
    """The data-element vocabulary, special categories marked (GDPR Art. 9(1))."""
    lang = page_language()
    special = _("special category of personal data")
    return [
        (e.key, pick(e.labels, lang) + (f" ({special})" if e.special_category else ""))
        for e in services().data_elements.list_elements(identity)
    ]


def operation_choices(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The API's operations the reader sees (the entry as the service shows them), named as a
    request names them, labelled with method, path and summary."""
    found = []
    for op in document.get("operations") or ():
        key = operation_key(op.get("operation_id"), str(op.get("method", "")), str(op.get("path", "")))
        label = f"{str(op.get('method', '')).upper()} {op.get('path', '')}"
        if op.get("summary"):
            label += f": {op['summary']}"
        if op.get("operation_id"):
            label += f" ({op['operation_id']})"
        found.append((key, label))
    return found


def request_choices(identity: Identity, document: Mapping[str, Any], full: bool) -> dict[str, Any]:
    """The choices the request form offers (the field macro looks them up by field name)."""
    return {
        "purpose_code": [(k, str(PURPOSES.get(k, v))) for k, v in access.PURPOSES.items()],
        "data_elements": element_choices(identity),
        # Shown only to a reader of the whole API; a summary reader types names instead.
        "operations": operation_choices(document) if full else [],
        "statutes": statutes(identity),
    }


def statutes(identity: Identity) -> list[tuple[str, str, str]]:
    """The statute register, for the reference field's suggestions, as the entry forms list
    it (``work_common.form_choices``, the one place a form lists statutes)."""
    return list(form_choices(identity, "api", {})["statutes"])


# -- the decision ---------------------------------------------------------------------
DECISION_FIELDS = ("decision", "reason", "basis", "valid_from", "valid_until")


def parse_decision(
    form: Mapping[str, Any], getlist: Any, bases: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The posted decision as the API's body (the chosen disclosure basis by its index among
    the entry's), and what was posted, to show again."""
    asked: dict[str, Any] = {k: str(form.get(k, "")) for k in DECISION_FIELDS}
    asked["operations"] = [o for o in getlist("operations") if o]
    asked["data_elements"] = [e for e in getlist("data_elements") if e]
    body: dict[str, Any] = {k: asked[k].strip() for k in ("decision", "reason", "valid_from", "valid_until")}
    body = {k: v for k, v in body.items() if v}
    basis = asked["basis"]
    if basis.isdigit() and int(basis) < len(bases):
        chosen = bases[int(basis)]
        body["disclosure_basis"] = {
            k: chosen[k] for k in ("role", "jurisdiction", "reference", "provision", "note") if chosen.get(k)
        }
    if body.get("decision") == "grant":
        body["operations"] = asked["operations"]
        body["data_elements"] = asked["data_elements"]
    return body, asked


def nothing_ticked(body: Mapping[str, Any], view: RequestView) -> dict[str, list[str]]:
    """A grant with every box unticked: the API reads an empty list as "as asked", but a
    person who unticks them all means none, so the page asks instead of granting all."""
    if body.get("decision") != "grant":
        return {}
    errors: dict[str, list[str]] = {}
    if any(o.get("known") for o in view.operations) and not body.get("operations"):
        errors["operations"] = [_("Tick at least one operation; to grant none, refuse.")]
    if view.data_elements and not body.get("data_elements"):
        errors["data_elements"] = [_("Tick at least one data element; to grant none, refuse.")]
    return errors


def load_decision(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The API's decision schema on the parsed form."""
    try:
        return AccessDecisionSchema().load(body), {}
    except ValidationError as exc:
        return {}, wf.flatten(exc.messages)
