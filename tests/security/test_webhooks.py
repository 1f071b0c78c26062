"""Attack: use an agency's notification channels to learn what it may not tell you,
or to make Tillit call an address of your choosing.

- An administrator of one agency cannot set another agency's channels (and so
  cannot send that agency's notices to itself).
- A webhook URL that is not https, or names a private, link-local or loopback
  address, is refused when it is set (422), and every delivery is checked again
  when the connection is made (a name may resolve elsewhere later).
- What leaves Tillit carries ids and kinds: never a title or a rationale.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from catalogue.models import Notification
from tests.conftest import LANTMATERIET, SKATTEVERKET
from tests.factories import create_entry


@pytest.fixture
def app_settings(app_settings):
    # The receiver below speaks plain http on 127.0.0.1, the one host named.
    return app_settings | {"OUTBOUND_HTTP_HOSTS": "127.0.0.1"}


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.connections = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        class Counting(HTTPServer):
            def verify_request(self, request: Any, client_address: Any) -> bool:
                outer.connections += 1
                return True

        self.server = Counting(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def set_channels(client, headers, agency=SKATTEVERKET, **body):
    return client.put(f"/api/v1/agencies/{agency}/channels", headers=headers, json=body)


def test_an_admin_of_another_agency_cannot_set_the_channels(client, token_for, receiver):
    other_admin = token_for("sensitive", agency=LANTMATERIET, extra=("catalogue:admin",))
    response = set_channels(
        client,
        other_admin,
        webhook_url=f"http://127.0.0.1:{receiver.port}/steal",
        officer_email="x@evil.test",
    )
    assert response.status_code == 403
    assert response.content_type == "application/problem+json"
    assert response.json["detail"] == "An agency's channels are set by its own administrators."
    # Nothing was stored: Skatteverket's waiting work goes nowhere near the receiver.
    owner = token_for("sensitive", extra=("catalogue:write",))
    entry = create_entry(client, owner, classification="sensitive")
    assert client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=owner).status_code == 202
    assert receiver.connections == 0
    # Its own administrator may.
    own_admin = token_for("sensitive", extra=("catalogue:admin",))
    assert (
        set_channels(client, own_admin, webhook_url=f"http://127.0.0.1:{receiver.port}/").status_code == 200
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://169.254.169.254/latest/meta-data/", "Only https URLs are allowed."),
        ("https://169.254.169.254/latest/meta-data/", "The URL names a link-local address."),
        ("https://[::ffff:a9fe:a9fe]/", "The URL names a link-local address."),
        ("https://10.0.0.1/hook", "The URL names a private address."),
        ("https://127.0.0.2/hook", "The URL names a loopback address."),  # only 127.0.0.1 is named
        ("ftp://hooks.example/", "Not a valid URL."),
        ("https://2130706433/hook", "Not a valid URL."),  # 127.0.0.1 as one number
        ("https://admin:pw@hooks.example/", "The URL may not carry a user name or password."),
    ],
)
def test_a_webhook_to_a_blocked_address_is_refused_when_set(client, token_for, url, message):
    admin = token_for("sensitive", extra=("catalogue:admin",))
    response = set_channels(client, admin, webhook_url=url)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.json["errors"] == {"webhook_url": [message]}


def test_a_name_that_resolves_to_loopback_is_refused_when_delivered(app, client, token_for, receiver):
    """Set-time checks cannot see where a name will resolve; the delivery's can."""
    admin = token_for("sensitive", extra=("catalogue:admin",))
    assert set_channels(client, admin, webhook_url=f"https://localhost:{receiver.port}/").status_code == 200
    owner = token_for("sensitive", extra=("catalogue:write",))
    entry = create_entry(client, owner, classification="sensitive")
    assert client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=owner).status_code == 202
    assert receiver.connections == 0
    with app.extensions["tillit"].sessions() as session:
        note = session.scalars(select(Notification)).one()
        assert (note.webhook_sent, note.attempts) == (None, 1)  # retried later, never sent there


def test_a_webhook_carries_ids_and_kinds_never_the_title(client, token_for, receiver):
    admin = token_for("sensitive", extra=("catalogue:admin",))
    set_channels(client, admin, webhook_url=f"http://127.0.0.1:{receiver.port}/hook")
    owner = token_for("sensitive", extra=("catalogue:write",))
    entry = create_entry(client, owner, classification="sensitive")
    submitted = client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=owner)
    review = submitted.headers["Location"].rsplit("/", 1)[1]
    officer = token_for("sensitive", extra=("catalogue:review",))
    client.post(
        f"/api/v1/reviews/{review}/decision",
        headers=officer,
        json={"decision": "reject", "rationale": "Secret reasoning about income data."},
    )
    payloads = [json.loads(body) for body in receiver.bodies]
    assert [p["kind"] for p in payloads] == ["review.requested", "review.rejected"]
    for payload, body in zip(payloads, receiver.bodies, strict=True):
        assert set(payload) == {"id", "kind", "agency", "audience", "review", "entry", "created", "links"}
        assert (payload["review"], payload["entry"]) == (review, entry["id"])
        text = body.decode()
        assert all(title not in text for title in entry["title"].values())
        assert "Secret reasoning" not in text
