"""Sending notifications: SMTP e-mail and signed webhooks (stdlib clients)."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import threading
import time
import urllib.request
from email.message import EmailMessage
from typing import Any

from flask import Flask

from catalogue.services.notifications import NotificationService
from security.identity import system_identity

SIGNATURE_HEADER = "X-Tillit-Signature"
TIMESTAMP_HEADER = "X-Tillit-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>"; receivers recompute and compare."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Deliverer:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def send_email(self, to: str, subject: str, body: str) -> None:
        host = self.config.get("SMTP_HOST")
        if not host:
            return  # e-mail is optional: without SMTP settings nothing is sent
        message = EmailMessage()
        message["From"] = self.config["MAIL_FROM"]
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(host, int(self.config["SMTP_PORT"]), timeout=10) as smtp:
            if str(self.config.get("SMTP_STARTTLS")).lower() in ("1", "true", "yes"):
                smtp.starttls()
            if self.config.get("SMTP_USERNAME"):
                smtp.login(self.config["SMTP_USERNAME"], self.config["SMTP_PASSWORD"])
            smtp.send_message(message)

    def send_webhook(self, url: str, secret: str, payload: dict[str, object]) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(secret, timestamp, body),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (checked above)
            if response.status >= 300:
                raise OSError(f"webhook answered {response.status}")


def deliver_now(app: Flask) -> int:
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        return NotificationService(session).deliver_pending(
            system_identity(ext.scheme), Deliverer(app.config)
        )


def deliver_soon(app: Flask) -> None:
    """After a request that wrote notifications: deliver in the background (best
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
