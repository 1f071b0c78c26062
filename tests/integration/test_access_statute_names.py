"""Issue 16 on the access API: request and grant responses name the statute of each legal
basis beside its reference, in the reader's language, as entry responses do (a statute the
register does not know keeps its reference alone). Their ETag follows the representation:
another language, or a statute renamed in the register (which moves no request's or grant's
revision), gives another tag, and ``Vary`` names ``Accept-Language``."""

from __future__ import annotations

import pytest

from security.identity import ADMIN as ADMIN_SCOPE
from tests.conftest import SKATTEETATEN, register_client
from tests.integration.test_access_story import SKATTEETATEN_PROCESSING, granted_through_the_api
from tests.integration.web.test_access_statutes import SKTBL

#: SE 2009:400's name in the register (catalogue/statutes_data/statutes.json), by language.
OSL = {
    "sv": "Offentlighets- och sekretesslag (2009:400)",
    "en": "Public Access to Information and Secrecy Act",
}
#: LOV-2016-05-27-14 is named only in bokmål, its official language, whatever the reader's.
SKTFVL = "Lov om skatteforvaltning (skatteforvaltningsloven)"
#: The requester's processing bases: one the register knows, one it does not.
PROCESSING = [("LOV-2016-05-27-14", SKTFVL), ("LOV-2005-06-17-67", None)]


@pytest.fixture
def granted(client, app, token_for):
    """(request id, grant id, the provider's officer, the receiver's data owner)."""
    system = register_client(app, SKATTEETATEN, ["catalogue:read:public"])
    done = granted_through_the_api(
        client, app, token_for, system[0], processing_basis=[SKATTEETATEN_PROCESSING, SKTBL]
    )
    return done["request"], done["grant"], done["decider"], done["developer"]


def _named(bases) -> list[tuple[str, str | None]]:
    return [(b["reference"], (b.get("statute") or {}).get("name")) for b in bases]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_requests_and_grants_name_their_statutes_on_both_sides(client, granted, lang):
    request_id, grant_id, officer, receiver = granted
    for who in (officer, receiver):
        one = client.get(f"/api/v1/access-requests/{request_id}?lang={lang}", headers=who)
        assert one.status_code == 200, one.json
        assert _named(one.json["processing_basis"]) == PROCESSING
        assert "Accept-Language" in one.headers["Vary"]
        grant = client.get(f"/api/v1/grants/{grant_id}?lang={lang}", headers=who)
        assert grant.status_code == 200, grant.json
        assert _named([grant.json["disclosure_basis"]]) == [("2009:400", OSL[lang])]
        assert grant.json["disclosure_basis"]["statute"]["lang"] == lang
        assert _named(grant.json["processing_basis"]) == PROCESSING
        assert "Accept-Language" in grant.headers["Vary"]
        listed = client.get(f"/api/v1/grants?lang={lang}", headers=who)
        assert [_named([g["disclosure_basis"]]) for g in listed.json["items"]] == [[("2009:400", OSL[lang])]]
        assert "Accept-Language" in listed.headers["Vary"]
    # The provider's officer also sees the entry's disclosure bases, named.
    seen = client.get(f"/api/v1/access-requests/{request_id}?lang={lang}", headers=officer).json
    assert _named(seen["disclosure_bases"]) == [("2009:400", OSL[lang])]
    for role, who in (("incoming", officer), ("mine", receiver)):
        page = client.get(f"/api/v1/access-requests?role={role}&lang={lang}", headers=who)
        assert [_named(r["processing_basis"]) for r in page.json["items"]] == [PROCESSING]
        assert "Accept-Language" in page.headers["Vary"]


def test_the_etag_follows_the_language_and_the_register(client, granted, token_for):
    request_id, grant_id, officer, _receiver = granted
    paths = (f"/api/v1/access-requests/{request_id}", f"/api/v1/grants/{grant_id}")
    english = {}
    for path in paths:
        sv = client.get(f"{path}?lang=sv", headers=officer)
        en = client.get(f"{path}?lang=en", headers=officer)
        assert sv.headers["ETag"] != en.headers["ETag"], path
        # A 304 only for the tag of this language's representation.
        for sent, status in ((sv, 200), (en, 304)):
            again = client.get(f"{path}?lang=en", headers={**officer, "If-None-Match": sent.headers["ETag"]})
            assert again.status_code == status, path
        english[path] = en.headers["ETag"]

    # The requester's processing basis is renamed in the register: no request or grant moves
    # its revision, but both representations changed, and so does their tag.
    admin = token_for("public", extra=(ADMIN_SCOPE,))
    statute = client.get("/api/v1/statutes/NO/LOV-2016-05-27-14")
    renamed = client.put(
        "/api/v1/statutes/NO/LOV-2016-05-27-14",
        json={"names": {"nb": "Provnavn"}, "short_names": {"nb": ["prov"]}},
        headers={**admin, "If-Match": statute.headers["ETag"]},
    )
    assert renamed.status_code == 200, renamed.json
    for path in paths:
        after = client.get(f"{path}?lang=en", headers={**officer, "If-None-Match": english[path]})
        assert after.status_code == 200, path
        assert _named(after.json["processing_basis"])[0] == ("LOV-2016-05-27-14", "Provnavn")
        assert after.headers["ETag"] != english[path]
