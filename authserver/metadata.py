"""The authorization server's metadata document (RFC 8414), served by
``authserver.endpoints`` at ``/.well-known/oauth-authorization-server``."""

from __future__ import annotations

from typing import Any

from flask import url_for

from authserver.adapters import CODE_AUTH_METHODS, TOKEN_AUTH_METHODS
from security.identity import ACTION_SCOPES
from security.levels import ClassificationScheme
from security.tokens import ALLOWED_ALGORITHMS


def metadata_document(issuer: str, scheme: ClassificationScheme) -> dict[str, Any]:
    """Every endpoint and method this server offers (in a request: the paths come from ``url_for``).

    ``private_key_jwt`` is offered at the token, revocation and introspection
    endpoints alike (``authserver.client_auth``), so each names the algorithms its
    assertions may be signed with (RFC 8414 §2 requires them then)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/oauth/authorize",
        "token_endpoint": issuer + url_for("oauth.issue_token"),
        "jwks_uri": issuer + url_for("oauth.jwks"),
        "introspection_endpoint": issuer + url_for("oauth.introspect_token"),
        "revocation_endpoint": issuer + url_for("oauth.revoke_token"),
        "scopes_supported": [*scheme.read_scopes, *ACTION_SCOPES],
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": CODE_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": list(ALLOWED_ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": CODE_AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": list(ALLOWED_ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": list(ALLOWED_ALGORITHMS),
        "authorization_response_iss_parameter_supported": True,
        "service_documentation": issuer + "/api/v1/openapi.json",
    }
