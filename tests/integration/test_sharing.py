"""Sharing status through the HTTP API: computed on every read, changed by a reviewed
edit of the legal bases, and a search filter and facet; and the agency's sharing report."""

from __future__ import annotations

from click.testing import CliRunner

from api.cli import main
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.factories import OSL_TAX, create_entry, publish

WRITER = ("catalogue:write",)
OFFICER = ("catalogue:review",)
OSL_DISCLOSURE = {
    "role": "disclosure",
    "jurisdiction": "SE",
    "reference": "2009:400",
    "provision": "10 kap. 28 §",
}
PAYMENTS_DUTY = {"role": "disclosure", "jurisdiction": "SE", "reference": "2023:456", "provision": "9 §"}


def _search(client, headers, **args):
    return client.get("/api/v1/search", query_string=args, headers=headers).json


def test_a_reviewed_disclosure_basis_makes_an_entry_shareable(client, token_for, app):
    writer = token_for("sensitive", extra=WRITER)
    entry = create_entry(client, writer, title={"sv": "Arbetsgivardeklarationer"}, classification="internal")
    publish(app, entry["id"])
    url = f"/api/v1/datasets/{entry['id']}"
    reader = token_for("internal", agency=LANTMATERIET)
    assert client.get(url, headers=reader).json["sharing_status"] == "no_disclosure_basis"
    found = _search(client, reader, sharing_status="no_disclosure_basis")
    assert [e["id"] for e in found["items"]] == [entry["id"]]
    assert {f["value"]: f["count"] for f in found["facets"]["sharing_status"]} == {"no_disclosure_basis": 1}

    # A change of legal basis waits for a security officer; the status waits with it.
    etag = client.get(url, headers=writer).headers["ETag"]
    bases = [OSL_TAX, OSL_DISCLOSURE, PAYMENTS_DUTY]
    proposed = client.patch(url, json={"legal_basis": bases}, headers={**writer, "If-Match": etag})
    assert proposed.status_code == 202, proposed.json
    review = proposed.headers["Location"]
    assert client.get(url, headers=reader).json["sharing_status"] == "no_disclosure_basis"
    assert _search(client, reader, sharing_status="shareable")["total"] == 0

    officer = token_for("sensitive", extra=OFFICER)
    decision = {"decision": "approve", "rationale": "OSL 10 kap. 28 § with lag (2023:456) 9 §."}
    decided = client.post(review + "/decision", json=decision, headers=officer)
    assert decided.status_code == 200, decided.json
    assert client.get(url, headers=reader).json["sharing_status"] == "shareable"
    found = _search(client, reader, sharing_status="shareable")
    assert [e["id"] for e in found["items"]] == [entry["id"]]
    assert {f["value"]: f["count"] for f in found["facets"]["sharing_status"]} == {"shareable": 1}
    assert _search(client, reader, sharing_status="no_disclosure_basis")["total"] == 0


def test_open_entries_and_the_redacted_summary(client, token_for, app):
    writer = token_for("sensitive", extra=WRITER)
    public = create_entry(client, writer, title={"sv": "Öppna data"}, classification="public", legal_basis=[])
    hidden = create_entry(
        client,
        writer,
        title={"sv": "Skyddade uppgifter"},
        classification="sensitive",
        listing_level="public",
        legal_basis=[OSL_TAX, OSL_DISCLOSURE],
    )
    publish(app, public["id"])
    publish(app, hidden["id"])
    assert client.get(f"/api/v1/datasets/{public['id']}").json["sharing_status"] == "open"
    # The summary hides the legal bases, so it hides what they decide.
    summary = client.get(f"/api/v1/datasets/{hidden['id']}").json
    assert summary["redacted"] is True and "sharing_status" not in summary
    # A summary-only reader can neither filter nor count it by its status.
    anonymous = _search(client, {}, sharing_status="shareable")
    assert anonymous["total"] == 0
    everything = _search(client, {})
    assert {f["value"]: f["count"] for f in everything["facets"]["sharing_status"]} == {"open": 1}
    cleared = token_for("sensitive", agency=LANTMATERIET)
    assert (
        client.get(f"/api/v1/datasets/{hidden['id']}", headers=cleared).json["sharing_status"] == "shareable"
    )


def test_an_unknown_status_is_a_422(client):
    response = client.get("/api/v1/search?sharing_status=maybe")
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert "maybe" not in response.get_data(as_text=True)


# -- the report ----------------------------------------------------------------------
def _catalogue(client, token_for, app):
    writer = token_for("sensitive", extra=WRITER)
    made = {
        "open": create_entry(client, writer, title={"sv": "Öppna"}, classification="public", legal_basis=[]),
        "shareable": create_entry(
            client,
            writer,
            title={"sv": "Delbar"},
            classification="internal",
            legal_basis=[OSL_TAX, PAYMENTS_DUTY],
        ),
        "closed": create_entry(client, writer, title={"sv": "Stängd"}, classification="internal"),
        "secret": create_entry(
            client,
            writer,
            title={"sv": "Hemlig"},
            classification="sensitive",
            legal_basis=[OSL_TAX, OSL_DISCLOSURE],
        ),
    }
    for entry in made.values():
        publish(app, entry["id"])
    return made


def _groups(body):
    """The entries of each group (the report is paged: the entries of every page are
    its items, each with its status; each group says how many it has on all pages)."""
    groups = {
        g["status"]: {e["id"] for e in body["items"] if e["sharing_status"] == g["status"]}
        for g in body["groups"]
    }
    assert all(g["count"] == len(groups[g["status"]]) for g in body["groups"]), body["groups"]
    return groups


def test_the_report_groups_entries_with_their_statutes(client, token_for, app):
    made = _catalogue(client, token_for, app)
    owner = token_for("sensitive", extra=WRITER)
    response = client.get(f"/api/v1/agencies/{SKATTEVERKET}/sharing", headers=owner)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["agency"] == SKATTEVERKET and body["total"] == 4
    assert _groups(body) == {
        "open": {made["open"]["id"]},
        "shareable": {made["shareable"]["id"], made["secret"]["id"]},
        "no_disclosure_basis": {made["closed"]["id"]},
    }
    shareable = next(g for g in body["groups"] if g["status"] == "shareable")
    statutes = {(s["jurisdiction"], s["reference"]): s for s in shareable["statutes"]}
    assert statutes[("SE", "2009:400")]["entries"] == 2
    assert {(p["role"], p["provision"]) for p in statutes[("SE", "2009:400")]["provisions"]} == {
        ("restriction", "27 kap. 1 §"),
        ("disclosure", "10 kap. 28 §"),
    }
    assert statutes[("SE", "2023:456")]["provisions"] == [{"role": "disclosure", "provision": "9 §"}]
    assert statutes[("SE", "2023:456")]["url"].startswith("https://")
    # Any form of the number names the same agency.
    again = client.get("/api/v1/agencies/2021005448/sharing", headers=owner)
    assert again.status_code == 200 and again.json == body


def test_the_report_never_shows_or_counts_entries_above_the_caller_s_clearance(client, token_for, app):
    made = _catalogue(client, token_for, app)
    low = token_for("internal", extra=WRITER)
    body = client.get(f"/api/v1/agencies/{SKATTEVERKET}/sharing", headers=low).json
    assert body["total"] == 3
    assert made["secret"]["id"] not in str(body) and "Hemlig" not in str(body)
    assert _groups(body)["shareable"] == {made["shareable"]["id"]}
    officer = token_for("public", extra=OFFICER)
    assert client.get(f"/api/v1/agencies/{SKATTEVERKET}/sharing", headers=officer).json["total"] == 1


def test_the_cli_prints_the_same_report(client, token_for, app, app_settings, monkeypatch):
    made = _catalogue(client, token_for, app)
    monkeypatch.setenv("TILLIT_INSTANCE_PATH", app_settings["INSTANCE_PATH"])
    monkeypatch.setenv("TILLIT_DATABASE_URL", app_settings["DATABASE_URL"])
    runner = CliRunner()
    as_json = runner.invoke(main, ["sharing", "report", SKATTEVERKET, "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert '"total": 4' in as_json.output and made["closed"]["id"] in as_json.output
    text = runner.invoke(main, ["sharing", "report", "2021005448"])
    assert text.exit_code == 0, text.output
    assert "Shareable (cites a disclosure basis): 2" in text.output
    assert "SE 2023:456: 9 § (disclosure)" in text.output
    bad = runner.invoke(main, ["sharing", "report", "12345"])
    assert bad.exit_code != 0 and "ORGNR" in bad.output
    missing = runner.invoke(main, ["sharing", "report", "202100-6297"])
    assert missing.exit_code == 1 and "No agency" in missing.output
    assert "legal department" in runner.invoke(main, ["sharing", "report", "--help"]).output


def test_the_report_is_paged_like_every_list(client, token_for, app):
    made = _catalogue(client, token_for, app)
    owner = token_for("sensitive", extra=WRITER)
    url = f"/api/v1/agencies/{SKATTEVERKET}/sharing"
    first = client.get(f"{url}?per_page=3", headers=owner)
    assert first.status_code == 200
    body = first.json
    assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (4, 1, 3, 3)
    # The groups cover every page; the entries come in report order (by status).
    assert {g["status"]: g["count"] for g in body["groups"]} == {
        "open": 1,
        "shareable": 2,
        "no_disclosure_basis": 1,
    }
    assert [e["sharing_status"] for e in body["items"]] == ["open", "shareable", "shareable"]
    assert 'rel="next"' in first.headers["Link"] and "page=2" in first.headers["Link"]
    second = client.get(f"{url}?per_page=3&page=2", headers=owner).json
    assert [e["id"] for e in second["items"]] == [made["closed"]["id"]]
    assert second["groups"] == body["groups"]
    # One group at a time.
    shareable = client.get(f"{url}?status=shareable", headers=owner).json
    assert shareable["total"] == 2
    assert {e["id"] for e in shareable["items"]} == {made["shareable"]["id"], made["secret"]["id"]}
    bad = client.get(f"{url}?status=maybe", headers=owner)
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    assert "maybe" not in bad.get_data(as_text=True)
