"""``api.delivery.Deliverer`` on its own: what a webhook receiver gets and can check,
what counts as delivered, and that e-mail stays off without an SMTP host. (The
whole path, from a review to an officer's inbox: tests/integration/test_notifications.py.)"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from api.delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER, Deliverer, sign
from security.outbound import OutboundPolicy

NOTICE: dict[str, object] = {"id": 7, "kind": "review.opened", "review": "r-1", "entry": "e-1"}
CONFIG = {"ISSUER": "https://tillit.example/", "SMTP_HOST": "", "MAIL_FROM": "tillit@example"}


class Receiver:
    """A webhook receiver on loopback answering ``status`` (and ``location``)."""

    def __init__(self, status: int, location: str | None = None) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.received.append((dict(self.headers), body))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.close()


@pytest.fixture
def deliverer() -> Deliverer:
    # The receiver speaks plain http on loopback: named, so allowed (security/outbound.py).
    return Deliverer(CONFIG, OutboundPolicy(frozenset({"127.0.0.1"}), timeout=5))


def test_the_receiver_can_check_the_signature_over_timestamp_and_body(deliverer, receivers):
    receivers.append(receiver := Receiver(204))
    deliverer.send_webhook(receiver.url, "s3cret", NOTICE)
    [(headers, body)] = receiver.received
    timestamp = headers[TIMESTAMP_HEADER]
    expected = hmac.new(b"s3cret", timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == "sha256=" + expected
    assert headers["Content-Type"] == "application/json"


def test_the_signature_changes_with_the_secret_the_timestamp_and_the_body():
    base = sign("a", "1", b"{}")
    assert len({base, sign("b", "1", b"{}"), sign("a", "2", b"{}"), sign("a", "1", b"[]")}) == 4


def test_a_webhook_carries_the_notice_and_where_to_read_the_rest(deliverer, receivers):
    receivers.append(receiver := Receiver(200))
    deliverer.send_webhook(receiver.url, "s", NOTICE)
    sent = json.loads(receiver.received[0][1])
    assert sent == {
        **NOTICE,
        "links": {
            "notifications": "https://tillit.example/api/v1/notifications",
            "review": "https://tillit.example/api/v1/reviews/r-1",
        },
    }
    receiver.received.clear()
    deliverer.send_webhook(receiver.url, "s", {"id": 8, "kind": "entry.due"})
    assert "review" not in json.loads(receiver.received[0][1])["links"]


@pytest.mark.parametrize("status", [400, 404, 500])
def test_an_answer_other_than_2xx_is_a_failure_to_retry(deliverer, receivers, status):
    receivers.append(receiver := Receiver(status))
    with pytest.raises(OSError, match=str(status)):
        deliverer.send_webhook(receiver.url, "s", NOTICE)


def test_a_signed_body_is_not_sent_on_to_where_a_redirect_points(deliverer, receivers):
    receivers.append(elsewhere := Receiver(204))
    receivers.append(redirecting := Receiver(307, location=elsewhere.url))
    with pytest.raises(OSError, match="307"):
        deliverer.send_webhook(redirecting.url, "s", NOTICE)
    assert len(redirecting.received) == 1 and elsewhere.received == []


def test_without_an_smtp_host_no_mail_is_sent(deliverer):
    deliverer.send_email("officer@example", NOTICE)  # past the guard, smtplib would raise: no server
