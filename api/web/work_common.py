"""What the work pages (forms, reviews, history, readers, audit) share: the choices a form
offers from the services, the rules explained beside the fields, level and people labels,
the entry page's tools, and the CSRF token every form carries.

Links to a tool are shown by the policy's own answer for the entry (``security.policy``,
the functions the services decide with); the services still refuse whatever is asked
without the right, so a shown link never grants anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, current_app, request
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf

from api.resources.people import actor_labels
from api.web.blueprint import bp
from api.web.i18n import page_language, pick
from api.web.labels import theme_label
from api.web.session import page_identity
from api.wiring import services, tillit
from catalogue.services.entry_rules import RULE_RESTRICTION, RULES
from security import policy
from security.identity import Identity

EMPTY_CHOICE = ""
#: The page's words for the legal roles, jurisdictions and review states (the API's values).
VALUE_LABELS: Mapping[str, Any] = {
    "processing": _l("Processing (the basis for processing personal data)"),
    "restriction": _l("Restriction (the provision that restricts access)"),
    "disclosure": _l("Disclosure (the basis for sharing)"),
    "SE": _l("Sweden"),
    "NO": _l("Norway"),
    "EU": _l("European Union"),
    "pending": _l("Pending"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "publication": _l("Publication"),
    "revision": _l("Revision"),
    "periodic": _l("Periodic review"),
    "reclassification": _l("Reclassification"),
    "draft": _l("Draft"),
    "in_review": _l("In review"),
    "published": _l("Published"),
    "deprecated": _l("Deprecated"),
    "retired": _l("Retired"),
    "dataset": _l("Dataset"),
    "api": _l("API"),
    "approve": _l("Approve"),
    "experimental": _l("Experimental"),
    "stable": _l("Stable"),
    "reject": _l("Reject"),
}


@bp.app_context_processor
def _work_globals() -> dict[str, Any]:
    found: dict[str, Any] = {
        "work_links": work_links,
        "value_label": value_label,
        "level_label": level_label,
        "static_options": static_options,
    }
    # CSRFProtect (the shell's) puts csrf_token in every template; until it is on, the
    # same function (flask-wtf's) gives the token it will check.
    if "csrf_token" not in current_app.jinja_env.globals:
        found["csrf_token"] = generate_csrf
    return found


@bp.after_request
def _work_pages_are_not_kept(response: Response) -> Response:
    # Every work page is one person's (drafts, reviews, reads, the audit log): no cache
    # keeps it, whatever level it shows.
    if request.path.startswith("/work/"):
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Authorization")
    return response


def value_label(value: Any) -> str:
    """The page's word for one of the API's values (a role, a state), else the value."""
    label = VALUE_LABELS.get(str(value))
    return str(label) if label is not None else str(value)


#: Fields whose codes discover's labels name (api/web/labels.py), in the page's language:
#: the same words the search page's facets and the entry page use.
FIELD_LABELS = {"themes": theme_label}


def static_options(choices: Iterable[str], field: str = "") -> list[tuple[str, str]]:
    """A vocabulary's values with the page's words for them."""
    named = FIELD_LABELS.get(field)
    if named is not None:
        lang = page_language()
        return [(c, named(c, lang)) for c in choices]
    return [(c, value_label(c)) for c in choices]


@bp.app_template_filter("work_message")
def work_message(message: Any) -> str:
    """A message of the API or a service, in the page's language where the catalogue has
    it, else as the API words it; plain text (escaped), whatever it holds."""
    text = str(message)
    return str(get_translations().ugettext(text)) if text else text


def level_label(key: str | None) -> str:
    """A classification level's label in the page's language."""
    if not key:
        return ""
    for level in tillit().scheme.levels:
        if level.key == key:
            return pick(level.labels, page_language()) or key
    return key


def levels() -> list[tuple[str, str]]:
    """The levels in force, lowest first, as (key, label)."""
    return [(lvl.key, pick(lvl.labels, page_language())) for lvl in tillit().scheme.enabled_levels]


def form_choices(identity: Identity, entry_type: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The choices a form offers that the services know: levels, data elements, statutes."""
    shown = levels()
    elements = [
        (e.key, pick(e.labels, page_language())) for e in services().data_elements.list_elements(identity)
    ]
    statutes: list[tuple[str, str, str]] = []
    page = 1
    while page <= 10:  # the register is small (tens of statutes); bounded all the same
        listing = services().statutes.list_statutes(identity, page=page, per_page=100)
        statutes += [(s.jurisdiction, s.reference, pick(s.names, page_language())) for s in listing.items]
        if page * listing.per_page >= listing.total:
            break
        page += 1
    return {
        "classification": shown,
        "listing_level": [(EMPTY_CHOICE, _("Same as the classification")), *shown],
        "data_elements": elements,
        "authoritative_for": elements,
        "statutes": statutes,
    }


def rule_notes() -> dict[str, list[str]]:
    """The rules that span fields, worded where they live (``entry_rules.RULES``),
    beside the field each is reported on; a level in a rule is each level above the lowest."""
    above = [f"'{key}'" for key in tillit().scheme.enabled_keys[1:]]
    either = _("or")
    named = ", ".join(above[:-1]) + f" {either} " + above[-1] if len(above) > 1 else "".join(above)
    return {
        field: [_(rule).format(level=named) if rule == RULE_RESTRICTION else _(rule) for rule in rules]
        for field, rules in RULES.items()
    }


def work_links(e: Mapping[str, Any]) -> dict[str, bool]:
    """Which work tools the entry page offers this reader for entry ``e`` (its document)."""
    identity = page_identity()
    try:
        facts = policy.EntryFacts(
            str(e["publisher"]),
            str(e["classification"]),
            str(e.get("listing_level") or e["classification"]),
            str(e["status"]),
        )
    except KeyError:
        return {}
    follows = policy.can_see_reviews(identity, facts)
    return {
        "edit": policy.can_write(identity, facts) and e.get("status") != policy.RETIRED,
        "submit": policy.can_write(identity, facts) and e.get("status") == policy.DRAFT,
        "history": follows,
        "readers": follows or (policy.can_audit(identity) and policy.can_read(identity, facts)),
    }


def people_labels(ids: Iterable[str | None], clients: Iterable[str | None] = ()) -> dict[str, dict[str, Any]]:
    """Names and agencies of the people (and clients) behind ids, as the API labels them."""
    return actor_labels(ids, clients, (page_identity(), page_language()))
