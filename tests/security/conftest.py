"""Fixtures for the attack suite: a catalogue with entries at every level and
status, and tokens minted with the server's own key (or a forged one)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import RSAKey

from catalogue.compose import entry_service
from catalogue.schemas import ApiCreateSchema, DatasetCreateSchema
from catalogue.services.reviews import ReviewService
from security.identity import ACTION_SCOPES, system_identity
from tests.conftest import LANTMATERIET, SKATTEETATEN, SKATTEVERKET, register_client
from tests.factories import publish

LEVELS = ("public", "internal", "sensitive")
#: (classification, listing_level) pairs allowed by the rules (listing ≤ classification).
PAIRS = tuple((c, lst) for i, c in enumerate(LEVELS) for lst in LEVELS[: i + 1])
SUMMARY_KEYS = {
    "id", "type", "title", "description", "publisher", "contact_point",
    "classification", "listing_level", "status", "redacted",
    "data_elements", "authoritative_for",  # once-only: docs/data-elements.md
}  # fmt: skip
NOT_FOUND_BODY = {
    "type": "about:blank",
    "title": "Not Found",
    "status": 404,
    "detail": "No entry with that id.",
}


def entry_data(
    publisher: str, classification: str, listing_level: str | None = None, entry_type: str = "dataset"
) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "publisher": publisher,
        "title": {"en": f"Secret-ish {classification}/{listing_level}"},
        "description": {"en": "HIDDEN-DESCRIPTION"},
        "keywords": {"en": ["HIDDEN-KEYWORD"]},
        "themes": ["GOVE"],
        "classification": classification,
        "listing_level": listing_level,
        "legal_basis": [],
        "licence": "https://example.org/HIDDEN-LICENCE",
        "spatial": "HIDDEN-SPATIAL",
        "distributions": [{"access_url": "https://example.org/HIDDEN-URL"}],
    }
    if classification != "public":
        raw["legal_basis"] = [
            {
                "role": "restriction",
                "jurisdiction": "SE",
                "reference": "SFS 2009:400",
                "provision": "27 kap. 1 §",
            }
        ]
    if entry_type == "api":
        del raw["distributions"]
        raw["endpoint_urls"] = ["https://example.org/HIDDEN-ENDPOINT"]
        return dict(ApiCreateSchema().load(raw))
    return dict(DatasetCreateSchema().load(raw))


def carrying_document(*elements: str, level: str = "public") -> dict[str, Any]:
    """An OpenAPI document with one operation that carries ``elements``, classified
    ``level`` (the lowest by default: an operation's own level never lets a caller
    below its API's see it, docs/operations.md)."""
    operation = {
        "operationId": "HIDDEN-OPERATION",
        "x-data-elements": list(elements),
        "x-classification": level,
        "responses": {"200": {"description": "OK"}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "HIDDEN", "version": "1"},
        "paths": {"/x": {"get": operation}},
    }


def make_entry(
    app: Flask,
    publisher: str = SKATTEVERKET,
    classification: str = "public",
    listing_level: str | None = None,
    status: str = "published",
    entry_type: str = "dataset",
    **extra: Any,
) -> str:
    """Create an entry through the services (so the rules run) and move it to ``status``;
    ``extra``: more fields, as loaded (e.g. ``data_elements=["income"]``)."""
    ext = app.extensions["tillit"]
    system = system_identity(ext.scheme)
    with ext.sessions() as session:
        service = entry_service(session, ext.scheme, ext.indexer, ext.anchor)
        entry_id = service.create(
            system, entry_type, {**entry_data(publisher, classification, listing_level, entry_type), **extra}
        ).entry.id
        if status == "in_review":
            ReviewService(service).submit(system, entry_id)
    if status in ("published", "deprecated", "retired"):
        publish(app, entry_id)
    with ext.sessions() as session:
        service = entry_service(session, ext.scheme, ext.indexer, ext.anchor)
        if status == "deprecated":
            service.deprecate(system, entry_id, "*")
        if status == "retired":
            service.retire(system, entry_id, "*")
    return entry_id


@dataclass(frozen=True)
class Catalogue:
    """Published entries of Skatteverket at every (classification, listing level)."""

    ids: dict[tuple[str, str], str]


@pytest.fixture
def catalogue(app: Flask) -> Catalogue:
    return Catalogue({pair: make_entry(app, SKATTEVERKET, *pair) for pair in PAIRS})


# -- tokens --------------------------------------------------------------------
Mint = Callable[..., str]


@pytest.fixture
def mint(app: Flask) -> Mint:
    """Sign arbitrary claims/headers; defaults make a valid Tillit access token, of a
    client that exists and is enabled (tokens of others are refused: withdrawn authority)."""
    keys = app.extensions["tillit"].keys
    issuer = app.config["ISSUER"]
    audience = app.config["AUDIENCE"]
    own_client, _ = register_client(app, LANTMATERIET, ["catalogue:read:sensitive", "catalogue:write"])

    def make(
        claims: dict[str, Any] | None = None,
        header: dict[str, Any] | None = None,
        key: Any = None,
        drop: tuple[str, ...] = (),
    ) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": issuer,
            "sub": own_client,
            "aud": audience,
            "exp": now + 120,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "client_id": own_client,
            "scope": "catalogue:read:sensitive catalogue:write",
            "agency": LANTMATERIET,
        }
        body.update(claims or {})
        for name in drop:
            body.pop(name, None)
        signing = key if key is not None else keys.signing_key()
        head: dict[str, Any] = {"alg": "RS256", "typ": "at+jwt", "kid": signing.kid}
        head.update(header or {})
        head = {k: v for k, v in head.items() if v is not None}
        return str(jwt.encode(head, body, signing))

    return make


@pytest.fixture(scope="session")
def foreign_key() -> RSAKey:
    return RSAKey.generate_key(2048, auto_kid=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def run_cli(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Invoke ``tillit`` against the test app's instance folder and database, and
    dispose the engines the command created (a CLI process would just exit)."""
    from click.testing import CliRunner

    import api.cli
    import api.cli.common

    monkeypatch.setenv("TILLIT_INSTANCE_PATH", app.instance_path)
    monkeypatch.setenv("TILLIT_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("TILLIT_ISSUER", app.config["ISSUER"])
    created: list[Flask] = []
    real = api.cli.common.create_app

    def tracking(*args: Any, **kwargs: Any) -> Flask:
        made = real(*args, **kwargs)
        created.append(made)
        return made

    monkeypatch.setattr(api.cli.common, "create_app", tracking)

    def run(*args: str) -> Any:
        try:
            return CliRunner().invoke(api.cli.main, list(args))
        finally:
            for made in created:
                made.extensions["tillit"].engine.dispose()
            created.clear()

    return run


#: Callers of every kind, agency and scope set (with a disabled and an unknown level,
#: which grant nothing): the property tests' ``who``.
identities = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["client", "user", "anonymous"]),
        "agency": st.sampled_from([SKATTEVERKET, LANTMATERIET, SKATTEETATEN, None]),
        "scopes": st.sets(
            st.sampled_from(
                [
                    "catalogue:read:public",
                    "catalogue:read:internal",
                    "catalogue:read:sensitive",
                    "catalogue:read:secret",  # disabled: grants nothing
                    "catalogue:read:bogus",  # unknown: grants nothing
                    *ACTION_SCOPES,
                ]
            )
        ),
    }
)
