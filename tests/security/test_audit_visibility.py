"""Attack: learn about an entry above your clearance from the audit log — events from
before it was raised, ids inside other events' details — or from a review proposal."""

from __future__ import annotations

import pytest

from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.factories import OSL_TAX, create_entry, publish
from tests.security.conftest import make_entry

pytestmark = pytest.mark.both_databases  # the audit log's visibility filters in SQL

AUDITOR = ("catalogue:audit",)
OFFICER = ("catalogue:review",)
WRITER = ("catalogue:write",)


def whole_log(client, headers) -> tuple[list[dict], str]:
    """Every event the reader is shown, through the list (all pages) and the export."""
    items, page = [], 1
    while True:
        body = client.get(f"/api/v1/audit?per_page=100&page={page}", headers=headers).json
        items += body["items"]
        if page * 100 >= body["total"]:
            break
        page += 1
    export = client.get("/api/v1/audit/export", headers=headers)
    assert export.status_code == 200
    return items, export.get_data(as_text=True)


def raise_to_sensitive(client, token_for, url: str) -> None:
    owner = token_for("sensitive", extra=WRITER)
    etag = client.get(url, headers=owner).headers["ETag"]
    raised = {"classification": "sensitive", "listing_level": "sensitive"}
    review = client.patch(url, json=raised, headers={**owner, "If-Match": etag})
    decision = {"decision": "approve", "rationale": "Now holds individual income data."}
    officer = token_for("sensitive", extra=OFFICER)
    decided = client.post(f"/api/v1/reviews/{review.json['review']}/decision", json=decision, headers=officer)
    assert decided.status_code == 200, decided.json


def test_an_entry_raised_later_takes_its_past_events_with_it(app, client, token_for):
    owner = token_for("sensitive", extra=WRITER)
    entry = create_entry(client, owner, classification="internal")
    publish(app, entry["id"])
    url = f"/api/v1/datasets/{entry['id']}"
    assert client.get(url, headers=token_for("internal", agency=LANTMATERIET)).status_code == 200
    auditor = token_for("internal", extra=AUDITOR)
    before = client.get(f"/api/v1/audit?entry={entry['id']}", headers=auditor).json
    assert before["total"] >= 4  # create, submit, approve, read: the auditor could see them

    raise_to_sensitive(client, token_for, url)

    assert client.get(url, headers=auditor).status_code == 404  # it is hidden now
    assert client.get(f"/api/v1/audit?entry={entry['id']}", headers=auditor).json["total"] == 0
    items, exported = whole_log(client, auditor)
    assert items and all(e["entry"] != entry["id"] for e in items)
    # Not even as a detail (the auditor's own earlier "?entry=" query names it).
    assert entry["id"] not in str(items) and entry["id"] not in exported
    # An auditor cleared for it still sees the whole story.
    cleared = client.get(f"/api/v1/audit?entry={entry['id']}", headers=token_for("sensitive", extra=AUDITOR))
    assert cleared.json["total"] > before["total"]


def test_event_details_never_name_an_entry_the_reader_cannot_see(app, client, token_for):
    hidden = make_entry(app, SKATTEVERKET, "sensitive")
    cleared = token_for("sensitive", extra=AUDITOR)
    assert client.get(f"/api/v1/audit?entry={hidden}", headers=cleared).status_code == 200
    # The cleared auditor's query is itself an event, about no entry, naming it.
    named = client.get("/api/v1/audit?action=audit.read", headers=cleared).json["items"]
    assert len(named) == 1 and named[0]["details"]["entry"] == hidden and "redacted" not in named[0]

    low = token_for("internal", extra=AUDITOR)
    items, exported = whole_log(client, low)
    assert hidden not in str(items) and hidden not in exported
    shown = next(e for e in items if e["seq"] == named[0]["seq"])
    assert shown["details"]["entry"] is None and shown["redacted"] is True
    assert '"redacted": true' in exported


def propose_links(app, client, token_for) -> tuple[str, str, str, str, dict[str, str]]:
    """A published internal API whose data owner proposes a public listing and links
    to a public and a sensitive dataset: (api url, review id, visible, hidden, owner)."""
    owner = token_for("sensitive", extra=WRITER)
    visible = make_entry(app, SKATTEVERKET, "public")
    hidden = make_entry(app, SKATTEVERKET, "sensitive")
    api = create_entry(client, owner, collection="apis", classification="internal")
    publish(app, api["id"])
    url = f"/api/v1/apis/{api['id']}"
    etag = client.get(url, headers=owner).headers["ETag"]
    change = {"listing_level": "public", "serves_datasets": [visible, hidden]}
    pending = client.patch(url, json=change, headers={**owner, "If-Match": etag})
    assert pending.status_code == 202, pending.json
    return url, pending.json["review"], visible, hidden, owner


def test_a_proposal_never_names_a_dataset_the_officer_cannot_see(app, client, token_for):
    _, review, visible, hidden, _ = propose_links(app, client, token_for)

    officer = token_for("internal", extra=OFFICER)
    one = client.get(f"/api/v1/reviews/{review}", headers=officer)
    assert one.json["proposed_change"]["serves_datasets"] == [visible]
    queue = client.get("/api/v1/reviews?state=pending", headers=officer)
    assert [r["proposed_change"]["serves_datasets"] for r in queue.json["items"]] == [[visible]]
    assert hidden not in one.get_data(as_text=True) and hidden not in queue.get_data(as_text=True)
    # An officer cleared for both sees the whole proposal.
    cleared = client.get(f"/api/v1/reviews/{review}", headers=token_for("sensitive", extra=OFFICER))
    assert cleared.json["proposed_change"]["serves_datasets"] == [visible, hidden]


def test_approving_a_proposal_never_names_a_dataset_the_officer_cannot_see(app, client, token_for):
    """The links were checked against their proposer when proposed; approving must not
    check them again against the officer (a 422 naming the hidden dataset, as it did)."""
    url, review, visible, hidden, owner = propose_links(app, client, token_for)
    officer = token_for("internal", extra=OFFICER)
    decision = {"decision": "approve", "rationale": "Public listing agreed."}
    decided = client.post(f"/api/v1/reviews/{review}/decision", json=decision, headers=officer)
    assert decided.status_code == 200, decided.json
    assert hidden not in decided.get_data(as_text=True)
    # The proposal is applied whole: the hidden link is kept, as its proposer asked.
    whole = client.get(url, headers=owner).json
    assert whole["serves_datasets"] == [visible, hidden]
    assert whole["listing_level"] == "public"


def test_a_raise_whose_listing_level_defaults_is_approved_as_it_was_checked(app, client, token_for):
    """A replacement (or a null) without a listing level means "listed at the
    classification", and the proposal is checked that way; approving it must not keep
    the old, lower listing level (the raised entry stayed listed for everyone)."""
    owner = token_for("sensitive", extra=WRITER)
    entry = create_entry(client, owner, classification="public")
    publish(app, entry["id"])
    url = f"/api/v1/datasets/{entry['id']}"
    assert client.get(url).status_code == 200  # listed and readable by anyone
    etag = client.get(url, headers=owner).headers["ETag"]
    raised = {"classification": "sensitive", "listing_level": None, "legal_basis": [OSL_TAX]}
    pending = client.patch(url, json=raised, headers={**owner, "If-Match": etag})
    assert pending.status_code == 202, pending.json
    decision = {"decision": "approve", "rationale": "Holds individual income data."}
    officer = token_for("sensitive", extra=OFFICER)
    review = pending.json["review"]
    decided = client.post(f"/api/v1/reviews/{review}/decision", json=decision, headers=officer)
    assert decided.status_code == 200, decided.json
    whole = client.get(url, headers=owner).json
    assert (whole["classification"], whole["listing_level"]) == ("sensitive", "sensitive")
    assert client.get(url).status_code == 404  # no longer listed for the public
