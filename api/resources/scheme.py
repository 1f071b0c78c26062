"""The classification scheme: public, so clients can label and request scopes."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.wiring import tillit

blp = Blueprint(
    "classification-scheme",
    __name__,
    url_prefix="/api/v1/classification-scheme",
    description="The ordered classification levels, their labels and scopes.",
)


@blp.route("")
@blp.doc(security=[])
def get_scheme() -> Any:
    """The classification levels, lowest first, with labels and read scopes."""
    return tillit().scheme.as_dict()
