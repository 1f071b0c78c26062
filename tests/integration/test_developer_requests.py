"""An agency's developers ask for access (the brief: "agency developers ... ask for access"):
the ``catalogue:request`` scope (role ``developer``) requests, withdraws, renews and follows
its agency's requests and grants, and does nothing else a data owner's ``catalogue:write``
does; a reader with neither is refused at the edge, naming both scopes."""

from __future__ import annotations

from tests.conftest import SKATTEETATEN, register_client
from tests.factories import GDPR_TASK, OSL_TAX, create_entry
from tests.integration.test_access_story import OSL_DISCLOSURE, request_body, sensitive_api

REQUEST = ("catalogue:request",)


def test_a_developer_requests_follows_and_withdraws_but_writes_no_entry(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    developer = token_for("public", agency=SKATTEETATEN, extra=REQUEST)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])

    made = client.post(
        "/api/v1/access-requests", json=request_body(entry["id"], system[0]), headers=developer
    )
    assert made.status_code == 201, made.json
    listed = client.get("/api/v1/access-requests", headers=developer)
    assert listed.status_code == 200 and [r["id"] for r in listed.json["items"]] == [made.json["id"]]
    assert client.get("/api/v1/grants", headers=developer).status_code == 200

    withdrawn = client.post(
        f"/api/v1/access-requests/{made.json['id']}/withdraw",
        json={"reason": "Asked twice."},
        headers=developer,
    )
    assert withdrawn.status_code == 200 and withdrawn.json["state"] == "withdrawn"

    # Not a data owner: registering an entry needs catalogue:write, and says so.
    written = client.post(
        "/api/v1/datasets",
        json={"title": {"nb": "Utkast"}, "description": {"nb": "Utkast."}, "classification": "public"},
        headers=developer,
    )
    assert written.status_code == 403
    assert 'scope="catalogue:write"' in written.headers["WWW-Authenticate"]
    # Nor an officer: deciding needs catalogue:review.
    decided = client.post(f"/api/v1/access-requests/{made.json['id']}/assess", headers=developer)
    assert decided.status_code == 403


def test_a_reader_without_either_scope_is_refused_naming_both(client, app, token_for):
    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    reader = token_for("sensitive", agency=SKATTEETATEN)
    refused = client.post("/api/v1/access-requests", json=request_body(entry["id"], None), headers=reader)
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert (
        'error="insufficient_scope", scope="catalogue:write catalogue:request"'
        in refused.headers["WWW-Authenticate"]
    )
    assert "catalogue:write" in refused.json["detail"] and "catalogue:request" in refused.json["detail"]
    # A reader follows nothing of its agency's access either.
    assert client.get("/api/v1/access-requests", headers=reader).status_code == 403


def test_the_request_scope_is_published_and_documented_as_an_alternative(client):
    metadata = client.get("/.well-known/oauth-authorization-server").json
    assert "catalogue:request" in metadata["scopes_supported"]
    spec = client.get("/api/v1/openapi.json").json
    create = spec["paths"]["/api/v1/access-requests"]["post"]
    assert create["security"] == [{"oauth2": ["catalogue:write"]}, {"oauth2": ["catalogue:request"]}]
    decide = spec["paths"]["/api/v1/access-requests/{request_id}/decision"]["post"]
    assert decide["security"] == [{"oauth2": ["catalogue:review"]}]
    flows = spec["components"]["securitySchemes"]["oauth2"]["flows"]
    assert all("catalogue:request" in flow["scopes"] for flow in flows.values())


def test_a_person_with_the_developer_role_gets_the_request_scope(app):
    from security.roles import ROLES, scopes_for_roles

    assert "developer" in ROLES
    assert scopes_for_roles(["developer"]) == ("catalogue:request",)


def test_an_entry_of_a_data_owner_is_not_a_developers_to_change(client, app, token_for):
    # A developer of the publishing agency itself.
    owner = token_for("public", extra=("catalogue:write",))
    entry = create_entry(client, owner, "datasets")
    developer = token_for("public", extra=REQUEST)
    patched = client.patch(
        f"/api/v1/datasets/{entry['id']}",
        json={"title": {"nb": "Endret"}},
        headers={
            **developer,
            "If-Match": client.get(f"/api/v1/datasets/{entry['id']}", headers=owner).headers["ETag"],
        },
    )
    assert patched.status_code == 403


def test_a_signed_in_developer_finds_the_link_sends_the_form_and_follows_it(client, app, token_for):
    import re

    from tests.integration.web.signing_in import HTML, page_csrf, sign_in
    from tests.integration.web.test_access_pages import request_form
    from tests.security.people import make_user

    entry = sensitive_api(client, app, token_for, [OSL_TAX, GDPR_TASK, OSL_DISCLOSURE])
    make_user(app, "ola", agency=SKATTEETATEN, roles=("developer",))
    sign_in(client, "ola")
    summary = client.get(f"/entries/{entry['id']}", headers={**HTML, "Accept-Language": "sv"})
    html = summary.get_data(as_text=True)
    assert f'href="/entries/{entry["id"]}/request-access"' in html
    assert "Utvecklare" in html  # the header names the role
    assert 'href="/access/requests"' in html  # "My agency's access requests" in the header
    assert 'href="/work/mine"' not in html  # no data owner's pages
    # The agency's entries are readable there, but registering is not offered.
    mine = client.get("/work/mine", headers=HTML).get_data(as_text=True)
    assert "/work/new/dataset" not in mine and "/work/new/api" not in mine
    form_page = client.get(f"/entries/{entry['id']}/request-access", headers=HTML)
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    sent = client.post(
        f"/entries/{entry['id']}/request-access",
        data={**request_form(system[0]), "csrf_token": page_csrf(form_page.get_data(as_text=True))},
        headers=HTML,
    )
    assert sent.status_code == 303, sent.get_data(as_text=True)
    request_id = re.search(r"/access/requests/([0-9a-f-]{36})", sent.headers["Location"]).group(1)
    mine = client.get("/access/requests", headers=HTML)
    assert mine.status_code == 200 and request_id in mine.get_data(as_text=True)


def test_a_developer_person_cannot_widen_to_a_data_owners_scope(client, app):
    from tests.security.people import full_login, make_app_client, make_user, refresh

    make_user(app, "ola", agency=SKATTEETATEN, roles=("developer",))
    # The app may ask for both; the person gets what their role gives.
    creds = make_app_client(
        app, agency=SKATTEETATEN, scopes="catalogue:read:sensitive catalogue:write catalogue:request"
    )
    signed_in = full_login(client, creds, username="ola")
    assert "catalogue:request" in signed_in["scope"].split()
    assert "catalogue:write" not in signed_in["scope"].split()
    wider = refresh(client, creds, signed_in["refresh_token"], scope=f"{signed_in['scope']} catalogue:write")
    assert (wider.status_code, wider.json["error"]) == (400, "invalid_scope")
