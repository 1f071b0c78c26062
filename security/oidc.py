"""Delegated login: people who sign in at their agency's own OpenID Connect provider.

Three pure parts, no I/O (the api layer fetches discovery documents and keys):

- the configuration of each provider, validated at start (``parse_oidc_providers``);
- the strict validation of an ID token (``verify_id_token``): an asymmetric
  algorithm from the provider's allow-list, a key of the provider's JWKS, exact
  ``iss``, ``aud`` holding our client id (``azp`` when there are several), ``exp``,
  a recent ``iat``, and the ``nonce`` of this very login;
- the mapping of the person's claims onto Tillit (``OIDCProvider.map_claims``): the
  stable subject, a display name, roles from a group claim, and, when configured,
  an organisation-number claim that must name the provider's own agency.

A provider speaks for exactly one agency: nothing a provider says can place a
person in another agency or give a role its mapping does not name.
"""

from __future__ import annotations

import hmac
import json
import re
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact
from joserfc.jwt import JWTClaimsRegistry

from security.roles import ROLES
from security.tokens import ALLOWED_ALGORITHMS

PROVIDER_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
DEFAULT_SCOPES = ("openid", "profile", "email")
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
#: An ID token issued longer ago than this is refused, whatever its ``exp``.
ID_TOKEN_MAX_AGE = 600
MAX_LEEWAY = 60
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_PROVIDER_KEYS = {
    "name", "label", "agency", "issuer", "client_id", "client_secret", "client_secret_env",
    "token_endpoint_auth_method", "scopes", "claims", "role_map", "clearance", "algorithms",
    "leeway", "userinfo",
}  # fmt: skip
_CLAIM_KEYS = {"subject", "username", "name", "email", "roles", "agency", "agency_prefix"}


class OIDCConfigError(ValueError):
    """The provider configuration is invalid; the application must not start."""


class InvalidIDToken(Exception):
    """The ID token must be refused. ``reason`` is a short code for the audit log;
    the message is safe to show."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ClaimRefused(Exception):
    """The person's claims do not allow a sign-in here (reason code and message, as above)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def secure_url(url: str) -> bool:
    """https, or plain http on the loopback interface only (development and tests)."""
    parts = urlsplit(url)
    if not parts.netloc or parts.fragment:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)


@dataclass(frozen=True)
class ClaimMapping:
    """Which claim carries what. Dotted names reach into objects (``realm_access.roles``)."""

    #: The stable identifier the local account is linked by, with the issuer.
    subject: str = "sub"
    #: Becomes the local user name, prefixed with the provider's name.
    username: str = "preferred_username"
    name: str = "name"
    email: str = "email"
    #: A list (or space/comma separated string) of groups or roles; see ``role_map``.
    roles: str | None = None
    #: The organisation number; when named, it must equal the provider's agency.
    agency: str | None = None
    #: Stripped from the organisation number claim, e.g. "0192:" (ISO 6523, Norway).
    agency_prefix: str = ""


@dataclass(frozen=True)
class FederatedPerson:
    """What a provider said about a person, mapped onto Tillit's terms."""

    subject: str
    username: str
    name: str
    email: str | None
    roles: tuple[str, ...]


@dataclass(frozen=True)
class OIDCProvider:
    """An agency's OpenID Connect provider that signs its people in, and how its claims map to Tillit."""

    name: str
    label: str
    agency: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    claims: ClaimMapping = field(default_factory=ClaimMapping)
    #: A value of the roles claim → the Tillit roles it grants. Unmapped values grant nothing.
    role_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Personal clearance of the accounts it signs in; None means the agency's.
    clearance: str | None = None
    token_endpoint_auth_method: str = "client_secret_basic"
    algorithms: tuple[str, ...] = ("RS256",)
    leeway: int = 30
    #: Also read the userinfo endpoint (some providers put groups only there).
    userinfo: bool = False

    def map_claims(self, claims: Mapping[str, Any]) -> FederatedPerson:
        """The person the verified claims describe; ClaimRefused without a subject or of another agency."""
        mapping = self.claims
        subject = _claim(claims, mapping.subject)
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise ClaimRefused("subject", "The provider did not name the person (no stable subject claim).")
        if mapping.agency:
            claimed = _claim(claims, mapping.agency)
            if not isinstance(claimed, str | int) or isinstance(claimed, bool):
                raise ClaimRefused("agency_claim", "The provider did not name the person's organisation.")
            value = str(claimed).removeprefix(mapping.agency_prefix)
            if _digits(value) != _digits(self.agency):
                raise ClaimRefused("agency_claim", "The person belongs to another organisation.")
        username = _text(_claim(claims, mapping.username)) or _text(_claim(claims, "email")) or subject
        name = _text(_claim(claims, mapping.name)) or username
        email = _text(_claim(claims, mapping.email)) or None
        return FederatedPerson(
            subject=subject,
            username=username[:80],
            name=name[:200],
            email=email[:320] if email else None,
            roles=self.roles_of(claims),
        )

    def roles_of(self, claims: Mapping[str, Any]) -> tuple[str, ...]:
        """The Tillit roles the roles claim maps to; an unmapped value grants nothing."""
        if not self.claims.roles:
            return ()
        raw = _claim(claims, self.claims.roles)
        if isinstance(raw, str):
            values = [v for v in re.split(r"[\s,]+", raw) if v]
        elif isinstance(raw, list):
            values = [v for v in raw if isinstance(v, str)]
        else:
            values = []
        granted = [role for value in values for role in self.role_map.get(value, ())]
        return tuple(r for r in ROLES if r in granted)  # the canonical order


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _digits(orgnr: str) -> str:
    return re.sub(r"[\s-]", "", orgnr)


# -- configuration ------------------------------------------------------------
def parse_oidc_providers(
    raw: str | list[Any] | dict[str, Any] | None,
    own_issuer: str,
    environ: Mapping[str, str] | None = None,
) -> tuple[OIDCProvider, ...]:
    """``TILLIT_OIDC_PROVIDERS``: a JSON list (or ``{"providers": [...]}``), inline or
    in a ``.json`` or ``.toml`` file named by path. Empty means no providers."""
    if not raw:
        return ()
    data: Any = raw
    if isinstance(raw, str):
        text = raw.strip()
        try:
            data = json.loads(text) if text[:1] in "[{" else _read_file(Path(text))
        except ValueError as exc:
            raise OIDCConfigError(f"TILLIT_OIDC_PROVIDERS is not valid JSON or TOML: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("providers")
    if not isinstance(data, list) or not data:
        raise OIDCConfigError("TILLIT_OIDC_PROVIDERS must be a non-empty list of providers.")
    environ = environ if environ is not None else {}
    providers = tuple(_provider(item, i, own_issuer, environ) for i, item in enumerate(data))
    for attribute in ("name", "issuer"):
        values = [getattr(p, attribute) for p in providers]
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise OIDCConfigError(f"TILLIT_OIDC_PROVIDERS: the {attribute} {duplicates[0]!r} appears twice.")
    return providers


def _read_file(path: Path) -> Any:
    if not path.is_file():
        raise OIDCConfigError(f"TILLIT_OIDC_PROVIDERS names no readable file: {path}")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        return tomllib.loads(text)
    return json.loads(text)


def _provider(item: Any, index: int, own_issuer: str, environ: Mapping[str, str]) -> OIDCProvider:
    where = f"TILLIT_OIDC_PROVIDERS[{index}]"
    if not isinstance(item, dict):
        raise OIDCConfigError(f"{where} must be an object.")
    unknown = sorted(set(item) - _PROVIDER_KEYS)
    if unknown:
        raise OIDCConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}.")
    for key in ("name", "agency", "issuer", "client_id"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise OIDCConfigError(f"{where}: {key} is required (a non-empty string).")
    name = item["name"]
    where = f"OIDC provider {name!r}"
    if not PROVIDER_NAME.match(name):
        raise OIDCConfigError(f"{where}: name must be 1-32 of a-z, 0-9 and '-' (it appears in URLs).")
    issuer = item["issuer"].strip()
    if not secure_url(issuer) or urlsplit(issuer).query:
        raise OIDCConfigError(
            f"{where}: issuer must be an https:// URL without query (plain http on loopback only)."
        )
    if issuer.rstrip("/") == own_issuer.rstrip("/"):
        raise OIDCConfigError(f"{where}: the issuer cannot be Tillit itself.")
    secret = item.get("client_secret")
    secret_env = item.get("client_secret_env")
    if (secret is None) == (secret_env is None):
        raise OIDCConfigError(f"{where}: give exactly one of client_secret and client_secret_env.")
    if secret_env is not None:
        secret = environ.get(str(secret_env), "")
        if not secret:
            raise OIDCConfigError(f"{where}: the environment variable {secret_env} is empty or unset.")
    if not isinstance(secret, str) or not secret:
        raise OIDCConfigError(f"{where}: client_secret must be a non-empty string.")
    scopes = item.get("scopes", list(DEFAULT_SCOPES))
    scopes = scopes.split() if isinstance(scopes, str) else scopes
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes) or "openid" not in scopes:
        raise OIDCConfigError(f"{where}: scopes must be a list that includes 'openid'.")
    auth_method = item.get("token_endpoint_auth_method", "client_secret_basic")
    if auth_method not in AUTH_METHODS:
        raise OIDCConfigError(
            f"{where}: token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}."
        )
    algorithms = item.get("algorithms", ["RS256"])
    if (
        not isinstance(algorithms, list)
        or not algorithms
        or any(a not in ALLOWED_ALGORITHMS for a in algorithms)
    ):
        raise OIDCConfigError(
            f"{where}: algorithms must come from {', '.join(ALLOWED_ALGORITHMS)} (never none or HMAC)."
        )
    leeway = item.get("leeway", 30)
    if not isinstance(leeway, int) or isinstance(leeway, bool) or not 0 <= leeway <= MAX_LEEWAY:
        raise OIDCConfigError(f"{where}: leeway must be 0 to {MAX_LEEWAY} seconds.")
    userinfo = item.get("userinfo", False)
    if not isinstance(userinfo, bool):
        raise OIDCConfigError(f"{where}: userinfo must be true or false.")
    clearance = item.get("clearance")
    if clearance is not None and (not isinstance(clearance, str) or not clearance):
        raise OIDCConfigError(f"{where}: clearance must be a level key.")
    label = item.get("label", name)
    if not isinstance(label, str) or not label.strip() or len(label) > 80:
        raise OIDCConfigError(f"{where}: label must be 1 to 80 characters.")
    claims = _claim_mapping(item.get("claims", {}), where)
    role_map = _role_map(item.get("role_map", {}), where)
    if role_map and not claims.roles:
        raise OIDCConfigError(f"{where}: role_map needs claims.roles (the claim that carries the groups).")
    return OIDCProvider(
        name=name,
        label=label.strip(),
        agency=item["agency"].strip(),
        issuer=issuer,
        client_id=item["client_id"].strip(),
        client_secret=secret,
        scopes=tuple(dict.fromkeys(scopes)),
        claims=claims,
        role_map=role_map,
        clearance=clearance,
        token_endpoint_auth_method=auth_method,
        algorithms=tuple(algorithms),
        leeway=leeway,
        userinfo=userinfo,
    )


def _claim_mapping(raw: Any, where: str) -> ClaimMapping:
    if not isinstance(raw, dict):
        raise OIDCConfigError(f"{where}: claims must be an object.")
    unknown = sorted(set(raw) - _CLAIM_KEYS)
    if unknown:
        raise OIDCConfigError(f"{where}: unknown claims setting(s) {', '.join(unknown)}.")
    if not all(isinstance(v, str) and (v or k == "agency_prefix") for k, v in raw.items()):
        raise OIDCConfigError(f"{where}: every claims setting is a claim name (a non-empty string).")
    return ClaimMapping(**raw)


def _role_map(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise OIDCConfigError(f"{where}: role_map must be an object of claim value → roles.")
    out: dict[str, tuple[str, ...]] = {}
    for value, roles in raw.items():
        listed = [roles] if isinstance(roles, str) else roles
        if not isinstance(listed, list) or not all(r in ROLES for r in listed):
            raise OIDCConfigError(f"{where}: role_map[{value!r}] must name roles among {', '.join(ROLES)}.")
        out[str(value)] = tuple(listed)
    return out


# -- ID tokens ------------------------------------------------------------------
def verify_id_token(
    token: Any,
    keys: Callable[[bool], KeySet],
    *,
    provider: OIDCProvider,
    nonce: str,
    now: int | None = None,
) -> dict[str, Any]:
    """The ID token's claims, or ``InvalidIDToken``. ``keys(refresh)`` gives the
    provider's JWKS; it is asked again with ``refresh=True`` once, when the token
    names a key it does not hold (the provider rotated)."""
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 16_384:
        raise InvalidIDToken("malformed", "The provider's ID token is malformed.")
    try:
        header = extract_compact(token.encode()).protected
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidIDToken("malformed", "The provider's ID token is malformed.") from exc
    if header.get("alg") not in provider.algorithms:
        raise InvalidIDToken("alg", "The provider's ID token uses an algorithm that is not allowed.")
    key_set = keys(False)
    kid = header.get("kid")
    if kid is not None and all(k.kid != kid for k in key_set.keys):
        key_set = keys(True)
    try:
        decoded = jwt.decode(token, key_set, algorithms=list(provider.algorithms))
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidIDToken("signature", "The provider's ID token signature is invalid.") from exc
    claims = dict(decoded.claims)
    current = int(time.time()) if now is None else now
    registry = JWTClaimsRegistry(
        now=current,
        leeway=provider.leeway,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": provider.client_id},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        claim = str(getattr(exc, "claim", "") or exc.error)
        reason = claim if claim in ("iss", "aud", "exp", "iat", "sub", "nbf") else "claims"
        raise InvalidIDToken(reason, f"The provider's ID token is not valid: {exc.description}") from exc
    if current - claims["iat"] > ID_TOKEN_MAX_AGE + provider.leeway:
        raise InvalidIDToken("iat", "The provider's ID token was issued too long ago.")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != provider.client_id:
        raise InvalidIDToken("azp", "The provider's ID token was issued to another party.")
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise InvalidIDToken("nonce", "The provider's ID token does not belong to this sign-in.")
    return claims
