"""ReviewService composed over the EntryService it is given, on SQLite, called
with identities: the same session, rules, audit log and commit for both."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import select

from catalogue.errors import PermissionDenied
from catalogue.models import AuditEvent, Entry, Notification, Review
from catalogue.schemas import DatasetCreateSchema, DatasetUpdateSchema
from catalogue.services.entries import EntryService
from catalogue.services.reviews import ReviewService
from security import policy
from security.identity import build_identity
from security.levels import DEFAULT_SCHEME
from tests.factories import OSL_TAX, dataset_payload
from tests.unit.catalogue.conftest import AGENCY

OWNER = build_identity(
    DEFAULT_SCHEME,
    kind="client",
    subject="owner-client",
    client_id="owner-client",
    agency=AGENCY,
    scopes=["catalogue:read:internal", "catalogue:write"],
)
OFFICER = build_identity(
    DEFAULT_SCHEME,
    kind="user",
    subject="user-1",
    client_id="web",
    person="user-1",
    agency=AGENCY,
    scopes=["catalogue:read:internal", "catalogue:review"],
)
ROOT = Path(__file__).resolve().parents[3]


def draft(reviews: ReviewService, classification: str = "internal") -> str:
    data = DatasetCreateSchema().load(dataset_payload(AGENCY, classification))
    return reviews.entries.create(OWNER, "dataset", data).entry.id


def actions(session) -> list[tuple[str, str]]:
    return [(e.action, e.decision) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_the_review_service_shares_the_entry_service_it_is_given(session, reviews):
    assert not issubclass(ReviewService, EntryService)
    assert reviews.session is reviews.entries.session is session
    assert reviews.audit is reviews.entries.audit


def test_submit_and_decide_through_the_composed_service(session, reviews):
    entry_id = draft(reviews)
    submitted = reviews.submit(OWNER, entry_id)
    assert submitted.pending_review and submitted.entry.status == policy.IN_REVIEW

    decided = reviews.decide(OFFICER, submitted.pending_review, decision="approve", rationale="Checked.")

    entry = session.get(Entry, entry_id)
    assert decided.review.state == "approved" and entry.status == policy.PUBLISHED
    assert entry.review_due is not None  # the interval of the entry service's settings
    assert ("review.submit", "allow") in actions(session)
    assert ("review.approve", "allow") in actions(session)
    kinds = sorted(n.kind for n in session.scalars(select(Notification)))
    assert kinds == ["review.approved", "review.requested"]


def test_four_eyes_is_kept_through_the_composed_service(session, reviews):
    entry_id = draft(reviews)
    both = OFFICER.__class__(**{**OFFICER.__dict__, "scopes": OFFICER.scopes | {"catalogue:write"}})
    review_id = reviews.submit(both, entry_id).pending_review
    with pytest.raises(PermissionDenied, match="Four eyes"):
        reviews.decide(both, review_id, decision="approve", rationale="Mine.")
    assert session.get(Review, review_id).state == "pending"
    assert actions(session)[-1] == ("review.decide", "deny")


def test_a_reviewed_change_to_a_published_entry_waits_and_is_applied_on_approval(session, reviews):
    entry_id = draft(reviews, "public")
    reviews.decide(
        OFFICER, reviews.submit(OWNER, entry_id).pending_review, decision="approve", rationale="Public."
    )
    etag = reviews.entries.get(OWNER, entry_id).etag
    change = DatasetUpdateSchema(partial=True).load({"classification": "internal", "legal_basis": [OSL_TAX]})
    pending = reviews.entries.update(OWNER, entry_id, change, etag)

    assert pending.pending_review and session.get(Entry, entry_id).classification == "public"
    reviews.decide(OFFICER, pending.pending_review, decision="approve", rationale="Tax secrecy.")
    entry = session.get(Entry, entry_id)
    assert entry.classification == "internal" and entry.revision > 1
    assert [b.reference for b in entry.legal_bases] == [OSL_TAX["reference"]]


def _imported(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", ["entries", "pending_reviews"])
def test_entries_never_imports_reviews(module):
    assert "catalogue.services.reviews" not in _imported(ROOT / "catalogue" / "services" / f"{module}.py")
