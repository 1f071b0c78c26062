"""Sending notifications: SMTP e-mail and signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import threading
import time
from email.message import EmailMessage
from typing import Any

from flask import Flask, has_request_context
from sqlalchemy.orm import Session, sessionmaker

from api.wiring import tillit
from catalogue.services.notifications import NotificationService, on_notifications_committed
from security.identity import system_identity
from security.outbound import OutboundPolicy, fetch

SIGNATURE_HEADER = "X-Tillit-Signature"
TIMESTAMP_HEADER = "X-Tillit-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>"; receivers recompute and compare."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Deliverer:
    """E-mail by SMTP (the operator's server); webhooks through the outbound rules
    (security/outbound.py), so an address checked when it was set is checked again
    when it is used (DNS may have changed). Both carry the notice only: ids, kinds
    and where to read the rest with one's own token."""

    def __init__(self, config: dict[str, Any], outbound: OutboundPolicy) -> None:
        self.config = config
        self.outbound = outbound

    def _links(self, notice: dict[str, object]) -> dict[str, str]:
        base = str(self.config["ISSUER"]).rstrip("/") + "/api/v1"
        links = {"notifications": base + "/notifications"}
        if notice.get("review"):
            links["review"] = f"{base}/reviews/{notice['review']}"
        if notice.get("digest"):  # a bulk submission's reviews, as the reader may see them
            links["reviews"] = f"{base}/reviews?digest={notice['digest']}"
        return links

    def send_email(self, to: str, notice: dict[str, object]) -> None:
        host = self.config.get("SMTP_HOST")
        if not host:
            return  # e-mail is optional: without SMTP settings nothing is sent
        message = EmailMessage()
        message["From"] = self.config["MAIL_FROM"]
        message["To"] = to
        message["Subject"] = f"Tillit: {notice['kind']}"
        lines = [f"Tillit has work for your agency ({notice['kind']}, notification {notice['id']})."]
        lines += [f"{key}: {notice[key]}" for key in ("review", "entry", "digest") if notice.get(key)]
        lines += ["", "Sign in to read it (what you may see depends on your clearance):"]
        lines += list(self._links(notice).values())
        message.set_content("\n".join(lines))
        with smtplib.SMTP(host, int(self.config["SMTP_PORT"]), timeout=10) as smtp:
            if str(self.config.get("SMTP_STARTTLS")).lower() in ("1", "true", "yes"):
                smtp.starttls()
            if self.config.get("SMTP_USERNAME"):
                smtp.login(self.config["SMTP_USERNAME"], self.config["SMTP_PASSWORD"])
            smtp.send_message(message)

    def send_webhook(self, url: str, secret: str, notice: dict[str, object]) -> None:
        body = json.dumps({**notice, "links": self._links(notice)}, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        response = fetch(
            url,
            policy=self.outbound,
            method="POST",
            body=body,
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(secret, timestamp, body),
            },
            follow_redirects=False,  # a signed body is not sent on to another place
        )
        if not 200 <= response.status < 300:
            raise OSError(f"webhook answered {response.status}")


def deliver_now(app: Flask) -> int:
    ext = tillit(app)
    with ext.sessions() as session:
        return NotificationService(session, ext.outbound).deliver_pending(
            system_identity(ext.scheme), Deliverer(app.config, ext.outbound)
        )


def deliver_after_commit(app: Flask, sessions: sessionmaker[Session]) -> None:
    """Deliver the notifications a request wrote once the transaction that wrote
    them has committed (never before, never for one rolled back), whichever
    service wrote them.

    Only in a request: a command (``tillit reviews schedule``) ends before a
    background send would, and leaves its notifications to ``tillit notifications
    send``, as it always did."""

    def committed() -> None:
        if has_request_context():
            deliver_soon(app)

    on_notifications_committed(sessions, committed)


def deliver_soon(app: Flask) -> None:
    """After a commit that wrote notifications: deliver in the background (best
    effort; whatever fails is retried by `tillit notifications send`)."""

    def run() -> None:
        try:
            deliver_now(app)
        except Exception:
            app.logger.exception("Notification delivery failed; it will be retried.")

    if app.testing:  # deterministic in tests
        run()
        return
    threading.Thread(target=run, name="tillit-notify", daemon=True).start()
