"""The demo catalogue loads through the services, so every rule checks it."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from sqlalchemy import select

from catalogue.demo import load_demo
from catalogue.models import Agency, DataElement, Entry, EntryDataElement
from catalogue.models_access import AccessRequest, Grant

pytestmark = pytest.mark.both_databases  # the whole demo catalogue: every column type on each engine


def test_demo_catalogue_is_complete_and_valid(app):
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        result = load_demo(session, ext.scheme)
        assert not result.skipped
        agencies = session.scalars(select(Agency)).all()
        entries = session.scalars(select(Entry)).all()
        countries = Counter(a.country for a in agencies)
        assert countries["SE"] >= 8 and countries["NO"] >= 8 and len(agencies) >= 15
        assert len(entries) >= 80
        levels = Counter(e.classification for e in entries)
        assert set(levels) == set(ext.scheme.enabled_keys)
        assert min(levels.values()) >= 15
        assert sum(e.listing_level != e.classification for e in entries) >= 10
        types = Counter(e.type for e in entries)
        assert types["api"] >= 20 and types["dataset"] >= 40
        assert all(e.openapi for e in entries if e.type == "api")
        statuses = Counter(e.status for e in entries)
        assert statuses["in_review"] >= 1 and statuses["draft"] >= 1 and statuses["published"] >= 80
        languages = Counter(lang for e in entries for lang in e.title)
        assert languages["sv"] >= 30 and languages["nb"] >= 30 and languages["en"] == len(entries)
        cited = {(b.jurisdiction, b.reference) for e in entries for b in e.legal_bases}
        for statute in [
            ("SE", "2009:400"),
            ("SE", "1991:481"),
            ("NO", "LOV-2016-05-27-14"),
            ("NO", "LOV-2016-12-09-88"),
            ("EU", "32016R0679"),
        ]:
            assert statute in cited
        # Once-only: entries tagged with data elements, the base registers marked.
        tagged = [e for e in entries if e.data_elements]
        assert len(tagged) >= 20
        rows = session.scalars(select(EntryDataElement)).all()
        assert len(rows) == sum(len(e.data_elements) for e in entries)
        # Every element of the seeded vocabulary has an authoritative source in the demo.
        authoritative = {r.element for r in rows if r.authoritative}
        assert authoritative == set(session.scalars(select(DataElement.key)))
        # Access requests in every state, and grants active and revoked (demo_data/access.json).
        states = Counter(session.scalars(select(AccessRequest.state)))
        assert set(states) == {"submitted", "in_assessment", "granted", "refused", "withdrawn"}
        grants = session.scalars(select(Grant)).all()
        assert {g.revoked_at is None for g in grants} == {True, False}
        assert all(g.disclosure_basis and g.processing_basis for g in grants)
        # A second load changes nothing.
        assert load_demo(session, ext.scheme).skipped


@pytest.fixture(scope="module")
def demo_instance(tmp_path_factory):
    """One instance folder for the cases below: the demo loads once, then is found loaded."""
    return tmp_path_factory.mktemp("demo")


@pytest.mark.xdist_group("demo_instance")  # the demo loads once, on one worker
@pytest.mark.parametrize(
    ("args", "issuer", "expected"),
    [
        # ./dev start passes serve's options on: the hint names that server
        (["--port", "5055", "--threads", "4"], None, "http://127.0.0.1:5055"),
        (["--host", "0.0.0.0", "--port", "8080"], None, "http://127.0.0.1:8080"),
        (["--host", "::1", "--workers", "2", "--port", "8080"], None, "http://[::1]:8080"),
        (["--port", "5055"], "https://tillit.example.se", "https://tillit.example.se"),
    ],
)
def test_demo_prints_the_token_url_of_the_server_it_is_started_with(
    demo_instance, monkeypatch, args, issuer, expected
):
    from click.testing import CliRunner

    from api.cli import main

    environ = {k: v for k, v in os.environ.items() if not k.startswith("TILLIT_")}
    environ["TILLIT_INSTANCE_PATH"] = str(demo_instance)
    if issuer:
        environ["TILLIT_ISSUER"] = issuer
    monkeypatch.setattr(os, "environ", environ)  # what demo sets stays in this test
    result = CliRunner().invoke(main, ["demo", *args])
    assert result.exit_code == 0, result.output
    assert f"grant_type=client_credentials {expected}/oauth/token" in result.output


@pytest.mark.parametrize("typo", ["--prot", "--threds=4", "-x"])
def test_demo_refuses_an_option_serve_does_not_know(typo):
    from click.testing import CliRunner

    from api.cli import main

    result = CliRunner().invoke(main, ["demo", "--port", "8080", typo, "4"])
    assert result.exit_code == 2
    assert f"No such option: {typo.split('=')[0]}" in result.output
    assert "--threads" in result.output and "--workers" in result.output


def test_an_internal_developer_searching_folkbokforing_finds_the_navet_api(app, client, token_for):
    """Issue 16's question in one search: the Navet API cites the Folkbokföringslag, and
    the register's names make it findable by the word people use."""
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        load_demo(session, ext.scheme)
        navet = [
            e.id
            for e in session.scalars(select(Entry).where(Entry.type == "api"))
            if (e.title.get("sv") or "").startswith("Navet")
        ]
    ext.indexer.drain()
    assert navet
    body = client.get(
        "/api/v1/search", query_string={"q": "folkbokföring", "type": "api"}, headers=token_for("internal")
    ).json
    assert set(navet) & {item["id"] for item in body["items"]}


def test_demo_prints_one_person_per_role_who_can_sign_in(tmp_path, monkeypatch):
    """The people printed sign in to the pages with the password printed; it is kept only in
    the instance folder (0600), and a second run prints the same people."""
    import re

    from click.testing import CliRunner

    from api.app import create_app
    from api.cli import main
    from tests.integration.web.signing_in import sign_in

    environ = {k: v for k, v in os.environ.items() if not k.startswith("TILLIT_")}
    environ["TILLIT_INSTANCE_PATH"] = str(tmp_path)
    monkeypatch.setattr(os, "environ", environ)
    first = CliRunner().invoke(main, ["demo"])
    assert first.exit_code == 0, first.output
    people = re.findall(r"username=(\S+)  password=(\S+)", first.output)
    labels = re.findall(r"^  (Data owner|Security officer|Auditor|Developer): ", first.output, re.M)
    assert labels == ["Data owner", "Security officer", "Auditor", "Developer"]
    assert len(people) == 4
    assert (tmp_path / "demo-people.json").stat().st_mode & 0o777 == 0o600
    again = CliRunner().invoke(main, ["demo"])
    assert re.findall(r"username=(\S+)  password=(\S+)", again.output) == people
    app = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True})
    try:
        client = app.test_client()
        # Indexed once at the end of the load: every public entry is found, none missing.
        found = client.get("/api/v1/search?per_page=1").json["total"]
        listed = sum(client.get(f"/api/v1/{kind}?per_page=1").json["total"] for kind in ("datasets", "apis"))
        assert found == listed > 0
        for username, password in people:
            assert sign_in(client, username, password).status_code == 302, username
            client.delete_cookie("tillit-session")
    finally:
        app.extensions["tillit"].engine.dispose()
