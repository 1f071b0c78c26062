"""Attack: deciding a classification review without a second person — with machine
clients (one to write, one to review), with a client's own token, with two apps of one
person — and learning about a review one may not see from the decision endpoint."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import update

from authserver.services.clients import ClientService
from catalogue.compose import entry_service
from catalogue.errors import ValidationFailed
from catalogue.models import OAuthClient
from catalogue.services.reviews import ReviewService
from security.identity import system_identity
from tests.conftest import LANTMATERIET, SKATTEVERKET, fetch_token, register_client
from tests.factories import create_entry, publish
from tests.security.conftest import bearer, make_entry
from tests.security.people import basic, full_login, make_app_client, make_user

REVIEW = "catalogue:review"
DECISION = {"decision": "approve", "rationale": "Checked against 27 kap. 1 § OSL."}


def problem(response, status):
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    return response.json


def pending_review(app, entry_id: str) -> str:
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        service = ReviewService(entry_service(session, ext.scheme, ext.indexer, ext.anchor))
        page = service.list_reviews(system_identity(ext.scheme), state="pending")
        return next(v.review.id for v in page.items if v.entry.id == entry_id)


def register(app, scopes: str, grants=("client_credentials",), **kw):
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        return ClientService(session, ext.scheme).create(
            system_identity(ext.scheme),
            agency=SKATTEVERKET,
            name="a system",
            scopes=scopes.split(),
            grant_types=grants,
            **kw,
        )


# -- a machine never holds the review scope ------------------------------------
@pytest.mark.parametrize(
    "grants", [("client_credentials",), ("client_credentials", "authorization_code", "refresh_token")]
)
def test_registering_a_machine_reviewer_is_refused(app, grants):
    extra = {"redirect_uris": ["https://app.example.se/cb"]} if "authorization_code" in grants else {}
    with pytest.raises(ValidationFailed) as refused:
        register(app, "catalogue:read:sensitive catalogue:review", grants, **extra)
    assert "catalogue:review is for people only" in refused.value.errors["scopes"][0]
    # An app people sign in through may carry it: the person's roles decide.
    issued = register(
        app,
        "catalogue:read:sensitive catalogue:review",
        ("authorization_code", "refresh_token"),
        redirect_uris=["https://app.example.se/cb"],
    )
    assert REVIEW in issued.client.scopes


def test_the_cli_refuses_a_machine_reviewer_with_a_clear_error(run_cli):
    for args in (
        ["clients", "create", "--agency", SKATTEVERKET, "--name", "robot", "--scopes", REVIEW],
        ["clients", "register", "--agency", SKATTEVERKET, "--name", "robot", "--scopes", REVIEW],
    ):
        result = run_cli(*args)
        assert result.exit_code == 1, result.output
        assert "catalogue:review is for people only" in result.output
        assert "client_secret" not in result.output


def test_the_token_endpoint_never_issues_review_to_a_client(app, client):
    # A client stored with the review scope before registration refused it.
    client_id, secret = register_client(app, SKATTEVERKET, ["catalogue:read:sensitive", "catalogue:write"])
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        session.execute(
            update(OAuthClient)
            .where(OAuthClient.client_id == client_id)
            .values(scopes=["catalogue:read:sensitive", "catalogue:write", REVIEW])
        )
        session.commit()
    asked = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": f"catalogue:read:sensitive {REVIEW}"},
        headers=basic(client_id, secret),
    )
    assert asked.status_code == 400 and asked.json["error"] == "invalid_scope"
    # Asking for nothing in particular gets what it may have: never the review scope.
    token = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    ).json
    assert token["scope"].split() == ["catalogue:read:sensitive", "catalogue:write"]


# -- a decision needs a person, and a second one --------------------------------
def test_a_clients_own_token_cannot_decide(app, client, mint):
    entry = make_entry(app, SKATTEVERKET, "internal", status="in_review")
    review = pending_review(app, entry)
    # A token signed by Tillit for a real, enabled machine client that claims the scope
    # (as a client stored with it before the rule, or a token minted before it, would).
    robot, _ = register_client(app, SKATTEVERKET, ["catalogue:read:sensitive", "catalogue:write"])
    machine = bearer(
        mint(
            {
                "sub": robot,
                "client_id": robot,
                "agency": SKATTEVERKET,
                "scope": f"catalogue:read:sensitive {REVIEW}",
            }
        )
    )
    refused = problem(client.post(f"/api/v1/reviews/{review}/decision", json=DECISION, headers=machine), 403)
    assert "needs a person" in refused["detail"]
    assert client.get(f"/api/v1/reviews/{review}", headers=machine).json["state"] == "pending"


def test_two_machine_clients_of_one_holder_cannot_be_four_eyes(app, client):
    """The reported attack: one person holds a writer's and a reviewer's secret."""
    writer = bearer(
        fetch_token(
            client, *register_client(app, SKATTEVERKET, ["catalogue:read:sensitive", "catalogue:write"])
        )
    )
    entry = create_entry(client, writer, classification="internal")
    assert client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=writer).status_code == 202
    with pytest.raises(ValidationFailed):
        register_client(app, SKATTEVERKET, ["catalogue:read:sensitive", REVIEW])
    assert client.get(f"/api/v1/datasets/{entry['id']}", headers=writer).json["status"] == "in_review"


@pytest.mark.both_databases
def test_a_person_cannot_approve_their_own_submission_through_two_apps(app, client):
    make_user(app, "maria", SKATTEVERKET, roles=("data_owner", "security_officer"), clearance="sensitive")
    writing_app = make_app_client(app, scopes="catalogue:read:sensitive catalogue:write")
    reviewing_app = make_app_client(app, scopes=f"catalogue:read:sensitive {REVIEW}")
    as_writer = bearer(full_login(app.test_client(), writing_app, username="maria")["access_token"])
    as_officer = bearer(full_login(app.test_client(), reviewing_app, username="maria")["access_token"])
    entry = create_entry(client, as_writer, classification="internal")
    submitted = client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=as_writer)
    review = submitted.headers["Location"].rsplit("/", 1)[1]
    mine = problem(client.post(f"/api/v1/reviews/{review}/decision", json=DECISION, headers=as_officer), 403)
    assert "Four eyes" in mine["detail"]
    # Another person decides.
    make_user(app, "olof", SKATTEVERKET, roles=("security_officer",), clearance="sensitive")
    other = bearer(full_login(app.test_client(), reviewing_app, username="olof")["access_token"])
    decided = client.post(f"/api/v1/reviews/{review}/decision", json=DECISION, headers=other)
    assert decided.status_code == 200 and decided.json["decided_by"] != decided.json["submitted_by"]


# -- a review one may not see ----------------------------------------------------
@pytest.mark.parametrize(
    "officer", [("internal", SKATTEVERKET), ("sensitive", LANTMATERIET)], ids=["below-level", "other-agency"]
)
def test_deciding_a_hidden_review_answers_exactly_as_a_missing_one(app, client, token_for, officer):
    owner = token_for("sensitive", extra=("catalogue:write",))
    entry = create_entry(client, owner, classification="internal")
    publish(app, entry["id"])
    url = f"/api/v1/datasets/{entry['id']}"
    etag = client.get(url, headers=owner).headers["ETag"]
    raised = client.patch(url, json={"classification": "sensitive"}, headers={**owner, "If-Match": etag})
    assert raised.status_code == 202
    hidden = raised.json["review"]
    level, agency = officer
    headers = token_for(level, agency=agency, extra=(REVIEW,))
    missing = str(uuid.uuid4())

    got = client.get(f"/api/v1/reviews/{hidden}", headers=headers)
    on_hidden = client.post(f"/api/v1/reviews/{hidden}/decision", json=DECISION, headers=headers)
    on_missing = client.post(f"/api/v1/reviews/{missing}/decision", json=DECISION, headers=headers)
    got_missing = client.get(f"/api/v1/reviews/{missing}", headers=headers)
    body = problem(on_hidden, 404)
    assert body == problem(on_missing, 404) == problem(got, 404) == problem(got_missing, 404)
    assert body["detail"] == "No review with that id." and "sensitive" not in on_hidden.get_data(as_text=True)
    assert dict(on_hidden.headers) == dict(on_missing.headers) == dict(got.headers)
