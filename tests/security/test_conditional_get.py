"""Attack: use If-None-Match to learn that a hidden entry exists, or what version it
is at. The ETag is compared only after the read succeeded, so a hidden entry stays
a 404 exactly like a missing one, whatever ETag is sent; a redacted summary has no
ETag, so it is never a 304 either (api/edge.py)."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.security.conftest import NOT_FOUND_BODY, make_entry

pytestmark = pytest.mark.both_databases  # visibility compiled to SQL


@pytest.mark.parametrize("agency", [SKATTEVERKET, LANTMATERIET])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_hidden_entry_with_its_current_etag_stays_a_404(app, client, token_for, agency, method):
    hidden = make_entry(app, SKATTEVERKET, "sensitive", "sensitive")
    etag = client.get(f"/api/v1/datasets/{hidden}", headers=token_for("sensitive")).headers["ETag"]
    for caller in ({}, token_for("internal", agency=agency)):
        for tag in (etag, "*", f"W/{etag}", '"not-it"'):
            h = {**caller, "If-None-Match": tag}
            r = client.open(f"/api/v1/datasets/{hidden}", method=method, headers=h)
            missing = client.open(f"/api/v1/datasets/{uuid.uuid4()}", method=method, headers=h)
            assert r.status_code == missing.status_code == 404, tag
            assert sorted(r.headers.items()) == sorted(missing.headers.items())
            assert r.data == missing.data
            if method == "GET":
                assert r.json == NOT_FOUND_BODY


def test_a_redacted_summary_is_never_a_304(app, client, token_for):
    unlisted_detail = make_entry(app, SKATTEVERKET, "sensitive", "public")
    full = client.get(f"/api/v1/datasets/{unlisted_detail}", headers=token_for("sensitive"))
    for tag in (full.headers["ETag"], "*"):
        r = client.get(f"/api/v1/datasets/{unlisted_detail}", headers={"If-None-Match": tag})
        assert r.status_code == 200 and r.json["redacted"] is True
        assert "ETag" not in r.headers
