"""A harvest run tells the publisher's security officers of its new entries once, by a
digest (``reviews.requested``: catalogue/services/pending_reviews.py), however many
batches it writes them in: in ``/api/v1/notifications``, by webhook (its id and where to
read the rest, nothing more), and on the notifications page in every language, with a
link to the review queue filtered to those reviews. Each review stays its own row."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from api.cli.harvest import _run
from api.delivery import deliver_now
from catalogue.models import Notification, Review
from dcat.harvest.writing import digest_source
from tests.agencies import SKATTEVERKET
from tests.integration.test_harvest import DATA, _catalogue, _dataset, harvest
from tests.integration.test_notifications import smtp, webhook  # noqa: F401  (fixtures)
from tests.integration.web.signing_in import HTML, sign_in
from tests.security.people import make_user

#: The recommended DCAT-AP-SE example: a dataset and a data service, both public.
EXAMPLE = DATA / "rekommenderat.ttl"
#: The digest on the notifications page: its label, its count, in each language.
PAGE = {
    "sv": ("Granskningar som inletts tillsammans väntar på beslut", "2 granskningar"),
    "nb": ("Vurderinger opprettet samlet venter på en avgjørelse", "2 vurderinger"),
    "nn": ("Vurderingar oppretta samla ventar på ei avgjerd", "2 vurderingar"),
    "en": ("Reviews opened together wait for a decision", "2 reviews"),
}


@pytest.fixture
def app_settings(app_settings: dict[str, Any]) -> dict[str, Any]:
    # The webhook receiver speaks plain http on loopback: named, so allowed.
    return app_settings | {"OUTBOUND_HTTP_HOSTS": "127.0.0.1"}


def notifications(app: Flask) -> list[Notification]:
    with app.extensions["tillit"].sessions() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_a_harvest_run_gives_one_digest_naming_its_reviews(app, client, run_cli, token_for):
    report = harvest(run_cli, EXAMPLE, SKATTEVERKET, "--profile", "dcat-ap-se")
    opened = sorted(r["review"] for r in report["reviews"])
    assert len(opened) == 2  # a dataset and a data service: two groups, one run
    officer = token_for("sensitive", extra=("catalogue:review",))
    queue = client.get("/api/v1/notifications", headers=officer).json
    assert queue["total"] == 1
    [digest] = queue["items"]
    assert (digest["kind"], digest["agency"], digest["audience"]) == (
        "reviews.requested",
        SKATTEVERKET,
        "security_officer",
    )
    assert (digest["count"], digest["level"], digest["source"]) == (2, "public", report["source"])
    assert digest["review"] is None and digest["entry"] is None
    # The queue filtered by the digest: exactly the run's reviews, each its own row.
    listed = client.get("/api/v1/reviews", query_string={"digest": digest["digest"]}, headers=officer)
    assert listed.status_code == 200
    assert sorted(r["id"] for r in listed.json["items"]) == opened
    too_long = client.get("/api/v1/reviews", query_string={"digest": "x" * 37}, headers=officer)
    assert too_long.status_code == 422


# A later batch finds the run's digest written by an earlier one's transaction: on both databases.
@pytest.mark.both_databases
def test_a_run_written_in_several_batches_still_gives_one_digest(app: Flask, tmp_path: Path) -> None:
    source = tmp_path / "catalog.ttl"
    source.write_text(_catalogue(*(_dataset(n) for n in range(1, 6))))
    ext = app.extensions["tillit"]
    with app.app_context(), ext.sessions() as session:
        run = _run(app, session)
        run.batch_size = 2  # three batches, each its own transaction
        report = run.harvest(str(source), SKATTEVERKET, "dcat-ap")
    assert report.counts["created"] == 5
    [note] = notifications(app)
    assert (note.kind, note.count, note.level) == ("reviews.requested", 5, "public")
    with ext.sessions() as session:
        digests = session.scalars(select(Review.digest)).all()
    assert digests == [note.digest] * 5


def test_webhook_and_email_carry_the_digests_id_and_nothing_of_its_entries(
    app,
    client,
    run_cli,
    token_for,
    smtp,  # noqa: F811
    webhook,  # noqa: F811
):
    url, received = webhook
    admin = token_for("sensitive", extra=("catalogue:admin",))
    channels = {"webhook_url": url, "officer_email": "sakerhet@skatteverket.test"}
    put = client.put(f"/api/v1/agencies/{SKATTEVERKET}/channels", headers=admin, json=channels)
    assert put.status_code == 200, put.json
    report = harvest(run_cli, EXAMPLE, SKATTEVERKET, "--profile", "dcat-ap-se")
    # A command leaves delivery to ``tillit notifications send``: this is it, in-process.
    assert deliver_now(app) == 1
    [(_headers, body)] = received
    payload = json.loads(body)
    [note] = notifications(app)
    assert (payload["kind"], payload["digest"]) == ("reviews.requested", note.digest)
    assert payload["review"] is None and payload["entry"] is None
    assert payload["links"]["reviews"] == f"http://tillit.test/api/v1/reviews?digest={note.digest}"
    assert "count" not in payload and "source" not in payload
    assert report["source"] not in body.decode() and "Bibliotek" not in body.decode()
    # One e-mail for the run, to the officers, with the same ids and link.
    [(to, mail)] = smtp.messages
    assert to == ["sakerhet@skatteverket.test"] and "reviews.requested" in mail
    assert f"http://tillit.test/api/v1/reviews?digest={note.digest}" in mail
    assert report["source"] not in mail and "Bibliotek" not in mail


def test_the_notifications_page_shows_the_digest_in_every_language(app, client, run_cli):
    make_user(app, "olga", agency=SKATTEVERKET, roles=("security_officer",))
    harvest(run_cli, EXAMPLE, SKATTEVERKET, "--profile", "dcat-ap-se")
    [note] = notifications(app)
    sign_in(client, "olga")
    for lang, (label, count) in PAGE.items():
        html = client.get(f"/notifications?lang={lang}", headers=HTML).get_data(as_text=True)
        assert '<span class="count-badge">1</span>' in html, lang
        assert label in html and count in html, lang
        assert "reviews.requested" not in html  # named, not shown by its code
    links = [unescape(u) for u in re.findall(r'href="(/work/reviews\?[^"]+)"', html)]
    assert links == [f"/work/reviews?digest={note.digest}&level=public"]
    queue = client.get(links[0], headers=HTML).get_data(as_text=True)
    assert "2 reviews" in queue and "Only the reviews opened together that a notification named." in queue
    swedish = client.get(links[0] + "&lang=sv", headers=HTML).get_data(as_text=True)
    assert "2 granskningar" in swedish and "Visa alla granskningar" in swedish
    # A digest id that cannot be one is said to be wrong, on the page as in the API.
    wrong = client.get("/work/reviews?digest=" + "x" * 37, headers=HTML).get_data(as_text=True)
    assert 'id="q-digest-error"' in wrong


def test_the_digest_names_a_source_without_what_its_url_may_hide() -> None:
    assert digest_source("https://u:p@data.example.se:8443/k.ttl?key=s3cret#x") == (
        "https://data.example.se:8443/k.ttl"
    )
    assert digest_source("https://[2001:db8::1]/k.ttl?a=b") == "https://[2001:db8::1]/k.ttl"
    assert digest_source("file:/srv/katalog.ttl") == "file:/srv/katalog.ttl"
