"""Officers and data owners hear of waiting work: in the app, by e-mail, by signed webhook."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller

from api.delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.conftest import SKATTEVERKET
from tests.factories import create_entry
from tests.pgserver import _free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message["Subject"] + "\n" + message.get_content()))
        return "250 OK"


@pytest.fixture
def app_settings(app_settings):
    # The receiving server below speaks plain http on loopback: named, so allowed.
    return app_settings | {"OUTBOUND_HTTP_HOSTS": "127.0.0.1"}


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="tillit@tillit.test")
    yield inbox
    controller.stop()


@pytest.fixture
def webhook():
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


def test_waiting_work_reaches_officers_and_owners(client, token_for, smtp, webhook):
    url, received = webhook
    admin = token_for("sensitive", extra=("catalogue:admin",))
    channels = client.put(
        f"/api/v1/agencies/{SKATTEVERKET}/channels",
        headers=admin,
        json={
            "officer_email": "sakerhet@skatteverket.test",
            "owner_email": "data@skatteverket.test",
            "webhook_url": url,
        },
    )
    assert channels.status_code == 200, channels.json
    secret = channels.json["webhook_secret"]

    owner = token_for("sensitive", extra=("catalogue:write",))
    entry = create_entry(client, owner, classification="sensitive")
    submitted = client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=owner)
    review = submitted.headers["Location"].rsplit("/", 1)[1]

    assert [to for to, _ in smtp.messages] == [["sakerhet@skatteverket.test"]]
    # Ids and kinds, and where to read the rest with one's own token: never the title.
    assert "review.requested" in smtp.messages[0][1] and review in smtp.messages[0][1]
    assert f"http://tillit.test/api/v1/reviews/{review}" in smtp.messages[0][1]
    assert all(title not in smtp.messages[0][1] for title in entry["title"].values())
    headers, body = received[0]
    assert headers[SIGNATURE_HEADER] == sign(secret, headers[TIMESTAMP_HEADER], body)
    assert sign("wrong-secret", headers[TIMESTAMP_HEADER], body) != headers[SIGNATURE_HEADER]
    payload = json.loads(body)
    assert payload["kind"] == "review.requested" and payload["review"] == review
    assert payload["entry"] == entry["id"] and "message" not in payload
    assert all(title not in body.decode() for title in entry["title"].values())
    assert payload["links"]["review"] == f"http://tillit.test/api/v1/reviews/{review}"

    officer = token_for("sensitive", extra=("catalogue:review",))
    queue = client.get("/api/v1/notifications", headers=officer).json
    assert [n["kind"] for n in queue["items"]] == ["review.requested"]
    # An officer without clearance for the entry is not told that it exists.
    assert (
        client.get("/api/v1/notifications", headers=token_for("internal", extra=("catalogue:review",))).json[
            "total"
        ]
        == 0
    )

    client.post(
        f"/api/v1/reviews/{review}/decision",
        headers=officer,
        json={"decision": "reject", "rationale": "Cite the provision on income data."},
    )
    assert smtp.messages[-1][0] == ["data@skatteverket.test"]
    assert "review.rejected" in smtp.messages[-1][1]
    assert "Cite the provision" not in smtp.messages[-1][1]  # the rationale is read in Tillit
    assert json.loads(received[-1][1])["kind"] == "review.rejected"
    owner_queue = client.get("/api/v1/notifications", headers=owner).json
    assert [n["kind"] for n in owner_queue["items"]] == ["review.rejected"]
    assert client.get("/api/v1/notifications", headers=token_for("sensitive")).status_code == 403


def test_failed_delivery_is_retried(client, token_for, app, smtp):
    from api.delivery import deliver_now

    admin = token_for("sensitive", extra=("catalogue:admin",))
    client.put(
        f"/api/v1/agencies/{SKATTEVERKET}/channels",
        headers=admin,
        json={"officer_email": "sakerhet@skatteverket.test"},
    )
    port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = _free_port()  # nobody listens there: delivery fails
    owner = token_for("sensitive", extra=("catalogue:write",))
    entry = create_entry(client, owner)
    client.post(f"/api/v1/datasets/{entry['id']}/submit", headers=owner)
    assert smtp.messages == []
    app.config["SMTP_PORT"] = port
    assert deliver_now(app) == 1
    assert [to for to, _ in smtp.messages] == [["sakerhet@skatteverket.test"]]
    assert deliver_now(app) == 0  # sent once only
