"""The statute register through HTTP and the CLI, and statutes by name where entries
are shown and searched: beside each legal basis, on the legal-basis facet, and in
search by name, short name, number and provision."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from api.cli import main
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.searchkit import create_entry

ADMIN = ("catalogue:admin",)
OSL_21 = {"role": "restriction", "jurisdiction": "SE", "reference": "2009:400", "provision": "21 kap. 7 §"}
#: Navet's bases in the demo: the population registration act and the OSL chapter on it.
NAVET = [
    {"role": "processing", "jurisdiction": "SE", "reference": "1991:481", "provision": "1 §"},
    {"role": "restriction", "jurisdiction": "SE", "reference": "2009:400", "provision": "22 kap. 1 §"},
]
#: The Norwegian population register's confidentiality and disclosure, as in the demo.
FREGL = [
    {"role": "restriction", "jurisdiction": "NO", "reference": "LOV-2016-12-09-88", "provision": "§ 9-1"},
    {"role": "disclosure", "jurisdiction": "NO", "reference": "LOV-2016-12-09-88", "provision": "§ 10-2"},
]
#: A well-formed SFS number the register does not know (no such act is cited anywhere real).
UNKNOWN = {"role": "restriction", "jurisdiction": "SE", "reference": "1999:1", "provision": "1 §"}


def test_the_register_is_public_and_read_by_jurisdiction_and_reference(client):
    page = client.get("/api/v1/statutes?jurisdiction=SE&per_page=100").json
    assert page["total"] >= 17 and {s["jurisdiction"] for s in page["items"]} == {"SE"}
    r = client.get("/api/v1/statutes/SE/2009:400")
    assert r.status_code == 200 and r.headers["ETag"]
    assert r.json["short_names"]["sv"][0] == "OSL" and r.json["url"].startswith("https://www.riksdagen.se/")
    assert client.get("/api/v1/statutes/EU/32016r0679").json["reference"] == "32016R0679"
    missing = client.get("/api/v1/statutes/SE/1999:1")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    bad = client.get("/api/v1/statutes/SE/LOV-1967-02-10")
    assert bad.status_code == 422 and "reference" in bad.json["errors"]
    assert client.get("/api/v1/statutes/DE/1").status_code == 422
    assert client.get("/api/v1/statutes?jurisdiction=DE").status_code == 422


def test_administrators_add_and_replace_statutes(client, token_for):
    body = {"jurisdiction": "SE", "reference": "SFS 1999:1", "names": {"sv": "Lag (1999:1) om prov"}}
    assert client.post("/api/v1/statutes", json=body).status_code == 401
    assert (
        client.post(
            "/api/v1/statutes", json=body, headers=token_for("public", extra=("catalogue:write",))
        ).status_code
        == 403
    )
    admin = token_for("public", extra=ADMIN)
    created = client.post("/api/v1/statutes", json=body, headers=admin)
    assert created.status_code == 201 and created.headers["Location"] == "/api/v1/statutes/SE/1999:1"
    assert created.json["url"] == "https://rkrattsbaser.gov.se/sfst?bet=1999:1"
    assert client.post("/api/v1/statutes", json=body, headers=admin).status_code == 409
    for wrong, field in (({"reference": "1999-1"}, "reference"), ({"names": {"de": "x"}}, "names")):
        bad = client.post("/api/v1/statutes", json={**body, **wrong}, headers=admin)
        assert bad.status_code == 422 and list(bad.json["errors"]) == [field]
    change = {"names": {"sv": "Lag (1999:1) om prov", "en": "Test Act"}, "short_names": {"en": ["TA"]}}
    assert client.put("/api/v1/statutes/SE/1999:1", json=change, headers=admin).status_code == 428
    put = client.put(
        "/api/v1/statutes/SE/1999:1", json=change, headers={**admin, "If-Match": created.headers["ETag"]}
    )
    assert put.status_code == 200 and put.json["short_names"] == {"en": ["TA"]}


def test_a_legal_basis_carries_its_statutes_name_in_the_readers_language(app, client, token_for):
    entry_id = create_entry(
        app, SKATTEVERKET, "Beskattningsdatabasen", classification="internal", legal_basis=[OSL_21, UNKNOWN]
    )
    h = token_for("internal")
    sv = client.get(f"/api/v1/datasets/{entry_id}", headers=h)
    osl, unknown = sv.json["legal_basis"]
    assert osl["statute"] == {
        "name": "Offentlighets- och sekretesslag (2009:400)",
        "short_name": "OSL",
        "lang": "sv",
    }
    assert "statute" not in unknown and unknown["reference"] == "1999:1"  # shown by its number
    assert "Accept-Language" in sv.headers["Vary"]
    en = client.get(f"/api/v1/datasets/{entry_id}", headers={**h, "Accept-Language": "en-GB,en;q=0.9"}).json
    assert en["legal_basis"][0]["statute"]["name"] == "Public Access to Information and Secrecy Act"
    # ?lang= wins over Accept-Language; the same cached rendering serves both readers.
    again = client.get(f"/api/v1/datasets/{entry_id}?lang=sv", headers={**h, "Accept-Language": "en"}).json
    assert again["legal_basis"][0]["statute"]["lang"] == "sv"
    listed = client.get("/api/v1/datasets?lang=en", headers=h).json["items"]
    assert [b.get("statute", {}).get("short_name") for b in listed[0]["legal_basis"]] == ["OSL", None]


def test_a_register_change_shows_at_once_and_reaches_search(app, client, token_for):
    entry_id = create_entry(app, SKATTEVERKET, "Prov", classification="internal", legal_basis=[UNKNOWN])
    h = token_for("internal")
    assert client.get("/api/v1/search?q=provlagen", headers=h).json["total"] == 0
    body = {"jurisdiction": "SE", "reference": "1999:1", "names": {"sv": "Provlag (1999:1)"}}
    assert (
        client.post("/api/v1/statutes", json=body, headers=token_for("public", extra=ADMIN)).status_code
        == 201
    )
    shown = client.get(f"/api/v1/datasets/{entry_id}", headers=h).json["legal_basis"][0]
    assert shown["statute"]["name"] == "Provlag (1999:1)"
    assert [i["id"] for i in client.get("/api/v1/search?q=provlag", headers=h).json["items"]] == [entry_id]


@pytest.fixture
def cited(app) -> dict[str, str]:
    """Two internal entries: Navet (folkbokföringslagen, OSL 22 kap.) and one citing OSL 21 kap."""
    return {
        "navet": create_entry(app, SKATTEVERKET, "Navet", classification="internal", legal_basis=NAVET),
        "osl21": create_entry(
            app, SKATTEVERKET, "Personuppgifter", classification="internal", legal_basis=[OSL_21]
        ),
    }


def found(client, headers, query: str) -> set[str]:
    body = client.get("/api/v1/search", query_string={"q": query}, headers=headers).json
    return {item["id"] for item in body["items"]}


@pytest.mark.parametrize(
    "query",
    [
        "folkbokföring",
        "folkbokföringslagen",
        "Folkbokföringslag",
        "1991:481",
        "FOL",
        "folkbokforing",
        "Folkbokforingslagen",
    ],
)
def test_search_finds_entries_by_a_statutes_name_short_name_and_number(client, token_for, cited, query):
    assert found(client, token_for("internal"), query) == {cited["navet"]}


@pytest.mark.parametrize("query", ["OSL", "Offentlighets- och sekretesslagen", "sekretess", "2009:400"])
def test_search_finds_every_entry_citing_a_statute(client, token_for, cited, query):
    assert found(client, token_for("internal"), query) == {cited["navet"], cited["osl21"]}


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("OSL 21 kap", "osl21"),
        ("kap. 21 OSL", "osl21"),
        ("21 kap. 7 § OSL", "osl21"),
        ("OSL 22 kap", "navet"),
    ],
)
def test_a_provision_narrows_the_statute(client, token_for, cited, query, key):
    assert found(client, token_for("internal"), query) == {cited[key]}


def test_norwegian_provisions_and_names(app, client, token_for, cited):
    fregl = create_entry(app, LANTMATERIET, "Register", classification="internal", legal_basis=FREGL)
    h = token_for("internal", agency=LANTMATERIET)
    for query in ("folkeregisterloven § 10-2", "folkeregister", "fregl"):
        assert found(client, h, query) == {fregl}, query
    assert found(client, h, "folkeregisterloven § 10-3") == set()


def test_a_hidden_entry_is_never_found_by_its_statute(app, client, token_for, cited):
    h = token_for("public", agency=LANTMATERIET)
    for query in ("folkbokföring", "OSL", "OSL 21 kap", "2009:400"):
        assert found(client, h, query) == set(), query
    facets = client.get("/api/v1/search", headers=h).json["facets"]
    assert facets.get("legal_basis", []) == []


def test_the_legal_basis_facet_names_its_statutes(app, client, token_for):
    create_entry(
        app, SKATTEVERKET, "Skatteuppgifter", classification="internal", legal_basis=[OSL_21, UNKNOWN]
    )
    facet = client.get("/api/v1/search?lang=en", headers=token_for("internal")).json["facets"]["legal_basis"]
    by_value = {f["value"]: f for f in facet}
    assert by_value["2009:400"]["statute"]["short_name"] == "OSL"
    assert by_value["2009:400"]["statute"]["name"] == "Public Access to Information and Secrecy Act"
    assert by_value["1999:1"] == {"value": "1999:1", "count": 1}


def test_cli_lists_adds_and_loads_statutes(app_settings, monkeypatch, tmp_path):
    monkeypatch.setenv("TILLIT_INSTANCE_PATH", app_settings["INSTANCE_PATH"])
    monkeypatch.setenv("TILLIT_DATABASE_URL", app_settings["DATABASE_URL"])
    runner = CliRunner()
    assert "LANG=NAME" in runner.invoke(main, ["statutes", "add", "--help"]).output
    listed = runner.invoke(main, ["statutes", "list", "--jurisdiction", "SE", "--lang", "en"])
    assert (
        listed.exit_code == 0
        and "SE 2009:400 (OSL)  Public Access to Information and Secrecy Act" in listed.output
    )
    added = runner.invoke(
        main,
        [
            "statutes",
            "add",
            "SE",
            "sfs 1999:1",
            "--name",
            "sv=Lag (1999:1) om prov",
            "--short",
            "sv=LP",
            "--json",
        ],
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["short_names"] == {"sv": ["LP"]}
    assert runner.invoke(main, ["statutes", "add", "SE", "1999:1", "--name", "sv=X"]).exit_code != 0
    assert "LANG=TEXT" in runner.invoke(main, ["statutes", "add", "SE", "1999:2", "--name", "X"]).output
    assert "SFS number" in runner.invoke(main, ["statutes", "add", "SE", "1999-2", "--name", "sv=X"]).output
    seed = runner.invoke(main, ["statutes", "load"])
    assert seed.exit_code == 0 and "Added 0 statutes, replaced 0." in seed.output
    mine = tmp_path / "mine.json"
    mine.write_text(
        json.dumps([{"jurisdiction": "SE", "reference": "1999:3", "names": {"sv": "Lag (1999:3)"}}])
    )
    assert "Added 1 statutes" in runner.invoke(main, ["statutes", "load", str(mine)]).output
    mine.write_text(json.dumps([{"jurisdiction": "SE", "reference": "1999-3", "names": {"sv": "X"}}]))
    bad = runner.invoke(main, ["statutes", "load", str(mine)])
    assert bad.exit_code != 0 and "statute 1" in bad.output


def test_a_renamed_statute_shows_at_once_where_the_entry_was_read_and_kept(app, client, token_for):
    """The rendering with its statutes' names is kept per revision: a change to the register
    moves on the revision of every entry citing the statute, so none is served stale."""
    entry_id = create_entry(app, SKATTEVERKET, "Prov", classification="internal", legal_basis=[OSL_21])
    h = token_for("internal")
    path = f"/api/v1/datasets/{entry_id}"
    before = client.get(path, headers=h)
    assert before.json["legal_basis"][0]["statute"]["short_name"] == "OSL"
    assert client.get("/api/v1/datasets", headers=h).json["items"][0]["legal_basis"][0]["statute"]
    admin = token_for("public", extra=ADMIN)
    statute = client.get("/api/v1/statutes/SE/2009:400")
    change = {"names": {"sv": "Provnamn (2009:400)"}, "short_names": {"sv": ["PROV"]}}
    put = client.put(
        "/api/v1/statutes/SE/2009:400", json=change, headers={**admin, "If-Match": statute.headers["ETag"]}
    )
    assert put.status_code == 200
    after = client.get(path, headers=h)
    assert after.json["legal_basis"][0]["statute"] == {
        "name": "Provnamn (2009:400)",
        "short_name": "PROV",
        "lang": "sv",
    }
    assert after.headers["ETag"] != before.headers["ETag"]  # another representation, another ETag
    listed = client.get("/api/v1/datasets", headers=h).json["items"][0]
    assert listed["legal_basis"][0]["statute"]["short_name"] == "PROV"
