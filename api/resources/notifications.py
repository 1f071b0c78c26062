"""The in-app queue of waiting work, and where an agency wants to be told of it."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from marshmallow import Schema, fields

from api.auth import current_identity, require_scope
from api.openapi import Blueprint, page_of, problems
from api.resources.common import PageArgsSchema, page_response
from api.wiring import services
from catalogue.timestamps import Timestamp
from security.identity import ADMIN

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1",
    description="Work waiting for data owners and security officers.",
)


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    audience = fields.String()
    agency = fields.String()
    review = fields.String(attribute="review_id", allow_none=True)
    entry = fields.String(attribute="entry_id", allow_none=True)
    message = fields.String()
    created = Timestamp()
    #: A digest (kind ``reviews.requested``): one bulk submission's reviews of one level,
    #: counted; ``GET /api/v1/reviews?digest=`` lists them.
    digest = fields.String(allow_none=True)
    level = fields.String(allow_none=True)
    count = fields.Integer(allow_none=True)
    source = fields.String(allow_none=True)


class ChannelsSchema(Schema):
    officer_email = fields.Email(load_default=None, allow_none=True)
    owner_email = fields.Email(load_default=None, allow_none=True)
    webhook_url = fields.URL(load_default=None, allow_none=True, schemes={"https", "http"})


@blp.route("/notifications", methods=["GET"])
@blp.arguments(PageArgsSchema(), location="query")
@blp.alt_response(200, schema=page_of(NotificationSchema, "Notification"), description="Newest first.")
@problems(403)
def list_notifications(args: dict[str, Any]) -> Any:
    """Your agency's notifications for your roles (catalogue:review → officers',
    catalogue:write → data owners'), about entries you may see."""
    page = services().notifications.list_for(current_identity(), page=args["page"], per_page=args["per_page"])
    return page_response(NotificationSchema(many=True).dump(page.items), page.total, page.page, page.per_page)


@blp.route("/agencies/<orgnr:orgnr>/channels", methods=["PUT"])
@require_scope(ADMIN)
@blp.arguments(ChannelsSchema)
@blp.alt_response(200, description="The channels; a new webhook secret is shown once.")
def set_channels(data: dict[str, Any], orgnr: str) -> Any:
    """Where your own agency hears of waiting work (its catalogue:admin only): officers' and
    data owners' e-mail, and an https webhook signed with HMAC-SHA256 (X-Tillit-Signature
    over "<X-Tillit-Timestamp>.<body>"). Both carry ids and kinds only; read the rest with
    your own token."""
    channel, secret = services().notifications.set_channels(current_identity(), orgnr, **data)
    body: dict[str, Any] = {
        "agency": channel.agency,
        "officer_email": channel.officer_email,
        "owner_email": channel.owner_email,
        "webhook_url": channel.webhook_url,
    }
    if secret:
        body["webhook_secret"] = secret
    return jsonify(body)
