"""The wiring: one typed reader of the app's Tillit, and each service built once
per request on the request's session, composed as the catalogue composes them."""

from __future__ import annotations

from api.wiring import Services, db, services, tillit


def test_each_service_is_built_once_per_request_on_its_session(app):
    with app.test_request_context("/api/v1/datasets"):
        app.preprocess_request()
        first = services()
        assert services() is first and first.tillit is tillit() is app.extensions["tillit"]
        assert first.session is db()
        assert first.reviews.entries is first.entries and first.search.entries is first.entries
        assert first.entries.session is first.audit.session is first.agencies.session is db()
        assert first.entries.scheme is tillit().scheme
        assert first.entries.machines.refusals is tillit().refusals
    with app.test_request_context("/api/v1/datasets"):
        app.preprocess_request()
        assert services() is not first and db() is not first.session


def test_a_command_builds_the_same_services_on_its_own_session(app):
    with app.app_context(), tillit().sessions() as session:
        built = Services(tillit(), session)
        assert built.reviews.entries is built.entries and built.entries.session is session
