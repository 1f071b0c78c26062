"""The anonymous reader's identity is kept between requests, by address (api.auth):
the audit log still names the address each refusal came from, and a token is
still required wherever one is."""

from __future__ import annotations

from sqlalchemy import select

from catalogue.models import AuditEvent
from tests.factories import create_entry, publish


def test_a_kept_anonymous_identity_still_records_each_requests_address(app, client, token_for):
    owner = token_for("sensitive", extra=("catalogue:write",))
    created = create_entry(client, owner, classification="sensitive", listing_level="internal")
    publish(app, created["id"])
    path = f"/api/v1/datasets/{created['id']}"
    for address in ("10.3.0.1", "10.3.0.2", "10.3.0.1"):
        assert client.get(path, environ_base={"REMOTE_ADDR": address}).status_code == 404
    ext = app.extensions["tillit"]
    ext.refusals.flush()
    with ext.sessions() as session:
        rows = session.execute(
            select(AuditEvent.address, AuditEvent.details)
            .where(AuditEvent.entry_id == created["id"], AuditEvent.decision == "deny")
            .order_by(AuditEvent.seq)
        ).all()
    assert {address: details["count"] for address, details in rows} == {"10.3.0.1": 2, "10.3.0.2": 1}


def test_an_anonymous_caller_kept_is_still_refused_what_needs_a_token(client):
    for _ in range(2):
        assert client.get("/api/v1/datasets?per_page=1").status_code == 200
        refused = client.post("/api/v1/datasets", json={})
        assert refused.status_code == 401
        assert "Bearer" in refused.headers.get("WWW-Authenticate", "")
