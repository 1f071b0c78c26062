"""Helpers for tests of the pages' sign-in: the form's CSRF token, signing in and out."""

from __future__ import annotations

import re

from tests.security.people import PASSWORD

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def page_csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def sign_in(client, username: str = "alice", password: str = PASSWORD, next_page: str | None = None, **extra):
    page = client.get("/signin", headers=HTML)
    assert page.status_code == 200
    form = {"username": username, "password": password, "csrf_token": page_csrf(page.get_data(as_text=True))}
    if next_page is not None:
        form["next"] = next_page
    form.update(extra)
    return client.post("/signin", data=form, headers=HTML)


def sign_out(client):
    page = client.get("/", headers=HTML)
    return client.post("/signout", data={"csrf_token": page_csrf(page.get_data(as_text=True))}, headers=HTML)


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("tillit-session")
    return cookie.value if cookie else None
