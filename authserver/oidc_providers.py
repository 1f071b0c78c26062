"""The OpenID Connect providers people may sign in at (TILLIT_OIDC_PROVIDERS): their
settings checked at start, and each provider's discovery document and signing keys,
fetched under the outbound rules (``security.outbound``) and cached.

The sign-in flow itself is ``authserver.oidc_login``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.requests_client import OAuth2Session
from flask import Flask, current_app
from joserfc.jwk import KeySet

from authserver.context import tillit
from catalogue.orgnr import COUNTRIES, OrgnrError, normalise_orgnr
from security.oidc import OIDCConfigError, OIDCProvider, parse_oidc_providers, secure_url
from security.outbound import (
    OutboundError,
    OutboundPolicy,
    OutboundRefused,
    check_url,
    fetch,
    guarded_session,
)

#: Where ``configure_providers`` keeps the app's providers, by name.
PROVIDERS_EXTENSION = "tillit_oidc"
DISCOVERY_PATH = "/.well-known/openid-configuration"
FETCH_TIMEOUT = 5
METADATA_TTL = 3600
#: After a failed discovery, the login page does not ask again for this long.
RETRY_AFTER_FAILURE = 60
#: A refetch of the keys for an unknown kid happens at most this often.
JWKS_MIN_REFRESH = 60


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered something unusable."""


# -- the provider's documents ------------------------------------------------
@dataclass
class ProviderClient:
    """One configured provider: its discovery document and keys (cached), and
    Authlib's OAuth 2 client for it."""

    provider: OIDCProvider
    redirect_uri: str
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)
    _metadata: dict[str, Any] | None = None
    _metadata_at: float = 0.0
    _failed_at: float = -1e9
    _keys: KeySet | None = None
    _keys_at: float = -1e9
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def session(self, **kwargs: Any) -> OAuth2Session:
        """Authlib's client, its requests (token exchange, userinfo) under the outbound rules."""
        p = self.provider
        session = OAuth2Session(
            p.client_id,
            p.client_secret,
            token_endpoint_auth_method=p.token_endpoint_auth_method,
            scope=" ".join(p.scopes),
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            default_timeout=FETCH_TIMEOUT,
            **kwargs,
        )
        return guarded_session(self.outbound, session)

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_TTL:
                try:
                    self._metadata = self._discover()
                except ProviderUnavailable:
                    self._failed_at = time.monotonic()
                    raise
                self._metadata_at = time.monotonic()
            return self._metadata

    def authorization_origin(self) -> str:
        """Where "Sign in with" sends the browser, for the login page's form-action.
        Does not wait on a provider that failed a moment ago."""
        endpoint = self.provider.issuer
        if self._metadata is not None or time.monotonic() - self._failed_at > RETRY_AFTER_FAILURE:
            with contextlib.suppress(ProviderUnavailable):
                endpoint = self.metadata()["authorization_endpoint"]
        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{parts.netloc}"

    def _discover(self) -> dict[str, Any]:
        p = self.provider
        data = _get_json(p.issuer.rstrip("/") + DISCOVERY_PATH, self.outbound)
        # OpenID Connect Discovery 1.0 §4.3: the issuer must be exactly the one we asked.
        if data.get("issuer") != p.issuer:
            raise ProviderUnavailable(f"The discovery document of {p.name} names another issuer.")
        wanted = ["authorization_endpoint", "token_endpoint", "jwks_uri"]
        if p.userinfo:
            wanted.append("userinfo_endpoint")
        for key in wanted:
            if not isinstance(data.get(key), str) or not secure_url(data[key]):
                raise ProviderUnavailable(f"The discovery document of {p.name} lacks a secure {key}.")
        algs = data.get("id_token_signing_alg_values_supported")
        if isinstance(algs, list) and not set(algs) & set(p.algorithms):
            raise ProviderUnavailable(f"{p.name} signs ID tokens with none of {', '.join(p.algorithms)}.")
        methods = data.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise ProviderUnavailable(f"{p.name} does not support PKCE with S256.")
        return data

    def keys(self, refresh: bool = False) -> KeySet:
        """The provider's public signing keys; refetched when stale, or (at most once a
        minute) when an ID token names a key we do not hold."""
        with self._lock:
            age = time.monotonic() - self._keys_at
            if self._keys is None or age > METADATA_TTL or (refresh and age > JWKS_MIN_REFRESH):
                jwks_uri = self._metadata["jwks_uri"] if self._metadata else None
                if not jwks_uri:
                    raise ProviderUnavailable("The provider's keys are not known yet.")
                data = _get_json(jwks_uri, self.outbound)
                public = [
                    k
                    for k in data.get("keys", [])
                    if isinstance(k, dict) and k.get("kty") in ("RSA", "EC") and k.get("use", "sig") == "sig"
                ]
                try:
                    self._keys = KeySet.import_key_set({"keys": public})
                except Exception as exc:
                    raise ProviderUnavailable("The provider's keys are unusable.") from exc
                self._keys_at = time.monotonic()
            return self._keys


def _get_json(url: str, outbound: OutboundPolicy) -> dict[str, Any]:
    if not secure_url(url):
        raise ProviderUnavailable("Refusing to fetch over an insecure URL.")
    try:
        response = fetch(url, policy=outbound, follow_redirects=False)
        if response.status != 200:
            raise ProviderUnavailable(f"Could not read {url}.")
        data = response.json()
    except (OutboundError, ValueError) as exc:
        raise ProviderUnavailable(f"Could not read {url}.") from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{url} is not a JSON object.")
    return data


# -- set-up ---------------------------------------------------------------------
def configure_providers(app: Flask) -> None:
    """Read and check TILLIT_OIDC_PROVIDERS (and whether a password login is on);
    refuse to start when it is wrong."""
    issuer = str(app.config["ISSUER"]).rstrip("/")
    providers = parse_oidc_providers(app.config.get("OIDC_PROVIDERS"), issuer, os.environ)
    scheme = tillit(app).scheme
    outbound = tillit(app).outbound
    for p in providers:
        try:
            check_url(p.issuer, outbound)
        except OutboundRefused as exc:
            raise OIDCConfigError(
                f"OIDC provider {p.name!r}: the issuer cannot be reached under the outbound rules ({exc}; "
                "plain http needs the host in TILLIT_OUTBOUND_HTTP_HOSTS)."
            ) from exc
        if not any(_canonical(country, p.agency) for country in COUNTRIES):
            raise OIDCConfigError(
                f"OIDC provider {p.name!r}: agency must be an organisation number in its canonical "
                "form (for example 202100-5448 or 974761076)."
            )
        if p.clearance is not None and not scheme.is_enabled(p.clearance):
            raise OIDCConfigError(
                f"OIDC provider {p.name!r}: clearance {p.clearance!r} is not an enabled level."
            )
    password_login = _flag(app.config.get("PASSWORD_LOGIN", True))
    if not password_login and not providers:
        raise OIDCConfigError(
            "TILLIT_PASSWORD_LOGIN is off and TILLIT_OIDC_PROVIDERS names no provider: nobody could sign in."
        )
    app.config["PASSWORD_LOGIN"] = password_login
    app.extensions[PROVIDERS_EXTENSION] = {
        p.name: ProviderClient(p, f"{issuer}/oauth/login/{p.name}/callback", outbound) for p in providers
    }


def _canonical(country: str, orgnr: str) -> bool:
    try:
        return normalise_orgnr(country, orgnr) == orgnr
    except OrgnrError:
        return False


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def provider_clients() -> dict[str, ProviderClient]:
    clients: dict[str, ProviderClient] = current_app.extensions.get(PROVIDERS_EXTENSION) or {}
    return clients


def login_choices() -> list[tuple[str, str]]:
    return [(c.provider.name, c.provider.label) for c in provider_clients().values()]


def form_action_origins() -> list[str]:
    return list(dict.fromkeys(c.authorization_origin() for c in provider_clients().values()))
