"""How the authorization server answers an OAuth error: one place for the
password login, the delegated login and the token endpoint.

- A parameter outside its RFC 6749 syntax (``authserver.syntax``) is an
  ``invalid_request`` answered here, never redirected.
- Other errors of the authorization endpoint are redirected only to a redirect
  URI already matched against the client, and carry ``iss`` (RFC 9207).
"""

from __future__ import annotations

from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error, UnsupportedTokenTypeError
from flask import Response, current_app, request

from authserver.context import tillit
from authserver.syntax import malformed_parameter


class UnsupportedTokenType(UnsupportedTokenTypeError):  # type: ignore[misc]
    """A ``token_type_hint`` this server does not know: 400 ``unsupported_token_type``
    (RFC 7009 §2.2.1). Authlib's is a 401 that carries no challenge, which RFC 6749
    §5.2 and RFC 9110 §15.5.2 do not allow; the client's credentials were fine."""

    status_code = 400


class UnknownHintRefused:
    """Mixed into Authlib's revocation and introspection endpoints (first): their
    refusal of an unknown ``token_type_hint`` becomes ``UnsupportedTokenType``."""

    def check_params(self, request: Any, client: Any) -> None:
        try:
            super().check_params(request, client)  # type: ignore[misc]
        except UnsupportedTokenTypeError as exc:
            raise UnsupportedTokenType() from exc


def malformed_request_error() -> InvalidRequestError | None:
    """invalid_request for a parameter outside its RFC 6749 syntax (authserver.syntax)."""
    bad = malformed_parameter(request.values)
    return InvalidRequestError(f"The {bad} parameter is malformed.") if bad else None


def error_response(error: OAuth2Error) -> Response:
    """Redirect errors only to a redirect URI already matched against the client;
    otherwise answer here. Redirects carry ``iss`` (RFC 9207)."""
    response: Response = tillit().oauth.handle_error_response(None, error)
    if response.location:
        issuer = str(current_app.config["ISSUER"]).rstrip("/")
        response.location = add_params_to_uri(response.location, {"iss": issuer})
    return response


def no_store(response: Any) -> Any:
    """Token responses are never cached (RFC 6749 §5.1)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
