"""The authorization server's HTTP endpoints (blueprint ``oauth``): token,
revocation, introspection, the public keys and the metadata. The authorization
endpoint, with its login page, is ``authserver.login``.

Every token issued is an audit event (who, which client, scope, jti); refused
token requests are events too, grouped per address and window (``RefusalTally``).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from joserfc import jwt

from authserver.context import tillit
from authserver.errors import malformed_request_error, no_store
from authserver.metadata import metadata_document
from authserver.ratelimit import limit_token, limit_token_refusals
from authserver.services.security_events import RefusalTally, principal, record_security_event
from catalogue.db import begin_write

bp = Blueprint("oauth", __name__)

#: Seconds of one address's refused token requests aggregated into one audit event.
REFUSAL_WINDOW = 60.0
#: Where ``init_oauth`` keeps the app's tally of refused token requests.
REFUSALS_EXTENSION = "tillit_token_refusals"


@bp.post("/oauth/token")
@limit_token_refusals
@limit_token
def issue_token() -> Any:
    server = tillit().oauth
    malformed = malformed_request_error()
    if malformed is not None:
        response = server.handle_error_response(None, malformed)
    else:
        response = server.create_token_response()
    _audit_token_response(response)
    return no_store(response)


def _audit_token_response(response: Any) -> None:
    ext = tillit()
    body = response.get_json(silent=True) or {}
    grant = request.form.get("grant_type", "")
    if response.status_code == 200 and body.get("access_token"):
        # Our own token, just signed: its claims need no second verification.
        claims = jwt.decode(body["access_token"], ext.keys.private_set()).claims
        who = principal(
            ext.scheme,
            str(claims.get("sub")),
            claims.get("agency"),
            client_id=claims.get("client_id"),
            address=request.remote_addr,
        )
        details = {"grant_type": grant, "scope": claims.get("scope", ""), "jti": claims.get("jti")}
        record_security_event(g.db, who, "token.issue", details, anchor=ext.anchor)
    else:
        details = {"grant_type": grant[:40], "error": str(body.get("error", response.status_code))[:60]}
        _audit_refusal(details)


def _audit_refusal(details: dict[str, Any]) -> None:
    """The first refusal of an address's window at once; the rest of a window as
    one event with their count, once it has closed (RefusalTally)."""
    ext = tillit()
    tally: RefusalTally = current_app.extensions[REFUSALS_EXTENSION]
    first, closed = tally.note(request.remote_addr, time.time())
    if not first and not closed:
        return
    begin_write(g.db)
    for address, count, start in closed:
        who = principal(ext.scheme, "unauthenticated", None, address=address)
        summary = {"repeated": count, "window_start": int(start), "window_seconds": int(tally.window)}
        record_security_event(
            g.db, who, "token.refuse", summary, decision="deny", anchor=ext.anchor, own_transaction=False
        )
    if first:
        who = principal(ext.scheme, "unauthenticated", None, address=request.remote_addr)
        record_security_event(
            g.db, who, "token.refuse", details, decision="deny", anchor=ext.anchor, own_transaction=False
        )
    g.db.commit()


@bp.post("/oauth/revoke")
def revoke_token() -> Any:
    return no_store(tillit().oauth.create_endpoint_response("revocation"))


@bp.post("/oauth/introspect")
def introspect_token() -> Any:
    return no_store(tillit().oauth.create_endpoint_response("introspection"))


@bp.get("/oauth/jwks.json")
def jwks() -> Any:
    return jsonify(tillit().keys.public_jwks())


@bp.get("/.well-known/oauth-authorization-server")
def metadata() -> Any:
    return jsonify(metadata_document(current_app.config["ISSUER"].rstrip("/"), tillit().scheme))
