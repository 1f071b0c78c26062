"""NotificationService on SQLite, called with identities: a queue is the caller's
agency's, for its roles, and never names an entry above its clearance; an agency's
channels are set by its own administrators; delivery runs as the system and retries
a failed channel. (After-commit nudges: test_notifications.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalogue.errors import NotFound, PermissionDenied, ValidationFailed
from catalogue.models import Notification
from catalogue.services.notifications import MAX_ATTEMPTS, NotificationService
from catalogue.services.reviews import ReviewService
from security.identity import system_identity
from security.levels import DEFAULT_SCHEME
from tests.unit.catalogue.callers import (
    ADMIN,
    FOREIGN_OFFICER,
    LANTMATERIET,
    LOW_OFFICER,
    person,
)
from tests.unit.catalogue.conftest import AGENCY
from tests.unit.catalogue.test_reviews import OFFICER, OWNER, draft

pytestmark = pytest.mark.usefixtures("lantmateriet")


SYSTEM = system_identity(DEFAULT_SCHEME)
OFFICER_EMAIL = "sakerhet@skatteverket.example"


class Recorder:
    """A Deliverer (the port to e-mail and webhooks) that keeps what it was asked to
    send, and fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, object]]] = []
        self.failing = False

    def send_email(self, to: str, notice: dict[str, object]) -> None:
        if self.failing:
            raise OSError("the mail server is away")
        self.sent.append(("email", to, notice))

    def send_webhook(self, url: str, secret: str, notice: dict[str, object]) -> None:
        if self.failing:
            raise OSError("the receiver is away")
        self.sent.append(("webhook", url, notice))


@pytest.fixture
def notifications(session) -> NotificationService:
    return NotificationService(session)


def submit(reviews: ReviewService) -> tuple[str, str]:
    entry_id = draft(reviews)
    review_id = reviews.submit(OWNER, entry_id).pending_review
    assert review_id
    return entry_id, review_id


def kinds(service: NotificationService, identity) -> list[str]:
    return [n.kind for n in service.list_for(identity).items]


def test_the_queue_is_for_data_owners_and_security_officers_of_an_agency(notifications):
    auditor = person("auditor-1", AGENCY, "catalogue:read:internal", "catalogue:audit")
    with pytest.raises(PermissionDenied):
        notifications.list_for(auditor)
    agencyless = person("user-8", None, "catalogue:read:internal", "catalogue:review")
    with pytest.raises(PermissionDenied):
        notifications.list_for(agencyless)


def test_each_role_sees_its_own_agencys_work(reviews, notifications):
    entry_id, review_id = submit(reviews)
    assert kinds(notifications, OFFICER) == ["review.requested"]
    assert kinds(notifications, OWNER) == []  # the request is for officers
    assert kinds(notifications, FOREIGN_OFFICER) == []

    reviews.decide(OFFICER, review_id, decision="approve", rationale="Checked.")
    queue = notifications.list_for(OWNER)
    assert [(n.kind, n.entry_id) for n in queue.items] == [("review.approved", entry_id)]
    assert queue.total == 1


def test_a_notification_about_an_entry_above_the_callers_clearance_is_not_shown(reviews, notifications):
    submit(reviews)  # an internal entry
    assert notifications.list_for(LOW_OFFICER).total == 0  # not even counted
    assert notifications.list_for(OFFICER).total == 1


def test_channels_are_set_by_the_agencys_own_administrators(session, notifications):
    with pytest.raises(PermissionDenied):
        notifications.set_channels(
            OWNER, AGENCY, officer_email=OFFICER_EMAIL, owner_email=None, webhook_url=None
        )
    foreign_admin = person("admin-2", LANTMATERIET, "catalogue:read:internal", "catalogue:admin")
    with pytest.raises(PermissionDenied):
        notifications.set_channels(
            foreign_admin, AGENCY, officer_email=OFFICER_EMAIL, owner_email=None, webhook_url=None
        )
    with pytest.raises(NotFound):  # Skatteetaten: a real agency this database does not hold
        notifications.set_channels(
            SYSTEM, "974761076", officer_email=OFFICER_EMAIL, owner_email=None, webhook_url=None
        )


@pytest.mark.parametrize(
    "url", ["http://hooks.example/tillit", "https://10.0.0.7/hook", "https://user:pw@hooks.example/"]
)
def test_a_webhook_the_outbound_rules_refuse_is_never_stored(notifications, url):
    with pytest.raises(ValidationFailed) as refused:
        notifications.set_channels(ADMIN, AGENCY, officer_email=None, owner_email=None, webhook_url=url)
    assert set(refused.value.errors) == {"webhook_url"}
    assert url not in str(refused.value.errors)  # the message says why, it does not echo


def test_a_webhook_secret_is_shown_once_and_renewed_with_the_url(notifications):
    def set_hook(url: str | None):
        return notifications.set_channels(
            ADMIN, AGENCY, officer_email=None, owner_email=None, webhook_url=url
        )

    channel, secret = set_hook("https://hooks.example/tillit")
    assert secret and channel.webhook_secret == secret
    channel, again = set_hook("https://hooks.example/tillit")
    assert again is None and channel.webhook_secret == secret  # the same URL keeps its secret
    channel, renewed = set_hook("https://hooks.example/other")
    assert renewed and renewed != secret
    channel, none = set_hook(None)
    assert none is None and channel.webhook_secret is None


def test_delivery_runs_as_the_system_and_sends_ids_not_content(session, reviews, notifications):
    entry_id, review_id = submit(reviews)
    notifications.set_channels(ADMIN, AGENCY, officer_email=OFFICER_EMAIL, owner_email=None, webhook_url=None)
    recorder = Recorder()
    with pytest.raises(PermissionDenied):
        notifications.deliver_pending(OWNER, recorder)
    assert recorder.sent == []

    assert notifications.deliver_pending(SYSTEM, recorder) == 1
    [(channel, to, notice)] = recorder.sent
    assert (channel, to) == ("email", OFFICER_EMAIL)
    assert (notice["kind"], notice["review"], notice["entry"]) == ("review.requested", review_id, entry_id)
    assert "message" not in notice and "Inkomst" not in str(notice)  # nothing the entry says
    assert notifications.deliver_pending(SYSTEM, recorder) == 0  # sent once
    assert len(recorder.sent) == 1


def test_a_failed_channel_is_retried_until_its_attempts_run_out(session, reviews, notifications):
    submit(reviews)
    notifications.set_channels(ADMIN, AGENCY, officer_email=OFFICER_EMAIL, owner_email=None, webhook_url=None)
    recorder = Recorder()
    recorder.failing = True
    assert notifications.deliver_pending(SYSTEM, recorder) == 0
    note = session.scalars(select(Notification)).one()
    assert note.email_sent is None and note.attempts == 1

    recorder.failing = False
    assert notifications.deliver_pending(SYSTEM, recorder) == 1
    assert note.email_sent is not None and len(recorder.sent) == 1

    submit_again = draft(reviews)
    reviews.submit(OWNER, submit_again)
    recorder.failing = True
    for _ in range(MAX_ATTEMPTS):
        notifications.deliver_pending(SYSTEM, recorder)
    recorder.failing = False
    assert notifications.deliver_pending(SYSTEM, recorder) == 0  # given up: no more attempts
    assert len(recorder.sent) == 1
