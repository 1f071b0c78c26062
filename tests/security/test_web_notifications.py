"""The notifications page and the header's count never name or count a notice about an
entry above the reader's clearance (the same rule as GET /api/v1/notifications)."""

from __future__ import annotations

import pytest

from catalogue.models import Notification
from tests.agencies import SKATTEVERKET
from tests.integration.web.signing_in import HTML, sign_in
from tests.security.conftest import make_entry
from tests.security.people import make_user


@pytest.mark.both_databases
def test_a_notice_above_the_clearance_is_neither_shown_nor_counted(app, client):
    make_user(app, "olga", agency=SKATTEVERKET, roles=("security_officer",), clearance="internal")
    hidden = make_entry(app, SKATTEVERKET, "sensitive", "sensitive")
    shown = make_entry(app, SKATTEVERKET, "internal", "internal")
    ext = app.extensions["tillit"]
    with ext.sessions() as db:
        for entry in (hidden, shown):
            db.add(
                Notification(
                    agency=SKATTEVERKET,
                    audience="security_officer",
                    kind="review.requested",
                    entry_id=entry,
                    message="m",
                )
            )
        db.commit()
    sign_in(client, "olga")
    html = client.get("/notifications?lang=en", headers=HTML).get_data(as_text=True)
    listed = html.count('<li>\n    <p class="kind">')
    assert listed >= 1  # (registering an entry may notify its officers too)
    assert f'<span class="count-badge">{listed}</span>' in html
    assert shown in html
    assert hidden not in html
