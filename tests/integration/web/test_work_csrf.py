"""Every work form carries a CSRF token, and every POST without one is refused (the
shell's CSRFProtect, with WTF_CSRF_ENABLED as the app sets it).

The check is made for the reader a forged cross-site post would act as: a person signed in
with the session cookie (a browser sends it along). A request with an ``Authorization``
header is not checked (``api/web/headers.py`` ``_check_csrf``): it acts as the bearer
token's identity, never the cookie's person, and no browser sends that header cross-site.
The last tests here hold that exemption to it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SKATTEVERKET
from tests.integration.web.signing_in import HTML, page_csrf, sign_in
from tests.integration.web.work_helpers import OWNER, form_of
from tests.security.people import make_user

MISSING = "00000000-0000-0000-0000-000000000000"
#: Every POST the work pages take, and what a signed-in data owner and officer gets once
#: the token is checked: the new forms' validation (no title in English... the fields
#: posted are not a whole entry) or the page of a missing entry or review.
POSTS = {
    "/work/new/dataset": 422,
    "/work/new/api": 422,
    f"/work/entries/{MISSING}/edit": 404,
    f"/work/entries/{MISSING}/submit": 404,
    f"/work/reviews/{MISSING}/decision": 404,
}
BODY = {"title.en": "x", "decision": "approve", "rationale": "x"}


@pytest.fixture
def signed_in(app, client):
    """A client with a data owner's and officer's session (the cookie), CSRF checked."""
    app.config["WTF_CSRF_ENABLED"] = True  # as the app runs (TESTING does not switch it off)
    make_user(app, "tove", agency=SKATTEVERKET, roles=("data_owner", "security_officer"))
    assert sign_in(client, "tove").status_code == 302
    return client


def test_every_work_form_carries_the_token(client, token_for):
    html = client.get("/work/new/api", headers=token_for("sensitive", extra=OWNER)).get_data(as_text=True)
    forms = re.findall(r'<form method="post".*?</form>', html, re.S)
    assert forms
    assert all('name="csrf_token" value="' in f for f in forms)


@pytest.mark.parametrize("path", POSTS)
def test_a_signed_in_post_without_the_token_is_refused(signed_in, path):
    # A forged cross-site post carries the cookie, not the token: refused (400) before any
    # page or service sees it.
    assert signed_in.post(path, data=BODY, headers=HTML).status_code == 400
    wrong = signed_in.post(path, data={**BODY, "csrf_token": "not-the-token"}, headers=HTML)
    assert wrong.status_code == 400


@pytest.mark.parametrize("path", POSTS)
def test_a_signed_in_post_with_the_token_reaches_the_page(signed_in, path):
    token = page_csrf(signed_in.get("/work/new/api", headers=HTML).get_data(as_text=True))
    response = signed_in.post(path, data={**BODY, "csrf_token": token}, headers=HTML)
    assert response.status_code == POSTS[path]


def _mine(client) -> str:
    return client.get("/work/mine", headers=HTML).get_data(as_text=True)


def test_an_authorization_header_acts_as_its_token_never_as_the_cookies_person(signed_in, token_for):
    """Cookie of a data owner + a read-only bearer token: the post acts as the token's
    identity (refused: it may not write), and nothing is created in the person's name."""
    form = form_of(**{"title.sv": "Made by the cookie?", "title.en": "Made by the cookie?"})
    reader = token_for("sensitive")  # an application's token: reads, never writes
    as_token = signed_in.post("/work/new/dataset", data=form, headers={**HTML, **reader})
    assert as_token.status_code == 403
    garbage = signed_in.post("/work/new/dataset", data=form, headers={**HTML, "Authorization": "Bearer nope"})
    assert garbage.status_code == 401
    assert "Made by the cookie?" not in _mine(signed_in)
    # The same form, with the person's token and no header, is the person's (the check above
    # was not refused for some other reason).
    token = page_csrf(signed_in.get("/work/new/dataset", headers=HTML).get_data(as_text=True))
    made = signed_in.post("/work/new/dataset", data={**form, "csrf_token": token}, headers=HTML)
    assert made.status_code == 303
    assert "Made by the cookie?" in _mine(signed_in)


def test_a_page_with_an_authorization_header_shows_the_token_not_the_cookies_person(signed_in, token_for):
    assert "Tove" in signed_in.get("/", headers=HTML).get_data(as_text=True)
    as_token = signed_in.get("/", headers={**HTML, **token_for("public")}).get_data(as_text=True)
    assert "Tove" not in as_token
    # A refused token is a 401 page (its frame shows nobody), not the cookie's person, and
    # not a 500 from drawing the frame with the refused token once more.
    refused = signed_in.get("/work/mine", headers={**HTML, "Authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.mimetype == "text/html"
    assert "Tove" not in refused.get_data(as_text=True)
