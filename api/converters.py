"""Path converters: what a path segment must be, checked once for every route.

``<orgnr:orgnr>`` takes an organisation number in any common form and hands the
view its canonical form (the one normaliser, :func:`catalogue.orgnr.normalise_orgnr`,
that bodies and query strings reach through ``catalogue.shapes.OrgNumber``). A
malformed or invalid number is a 422 with a field message, decided from the text
alone before any lookup, so it tells nothing about which agencies exist.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import UnprocessableEntity
from werkzeug.routing import BaseConverter

from catalogue.orgnr import OrgnrError, normalise_orgnr


class InvalidPathParameter(UnprocessableEntity):
    """A 422 raised from routing, carrying webargs' shape of field messages."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__()
        self.data = {"messages": {"path": {name: [message]}}}


class OrgnrConverter(BaseConverter):
    def to_python(self, value: str) -> str:
        try:
            return normalise_orgnr(None, value)
        except OrgnrError as exc:
            # Raised from routing, so it reaches the problem handler as any
            # webargs 422 does: a field message under the parameter's name.
            raise InvalidPathParameter("orgnr", str(exc)) from exc

    def to_url(self, value: Any) -> str:
        return str(value)


def _orgnr_parameter(_converter: BaseConverter) -> dict[str, Any]:
    return {"type": "string", "maxLength": 64, "example": "202100-5448"}


def register_converters(app: Flask, api: Api) -> None:
    """Before any blueprint: rules find their converters when they are added."""
    app.url_map.converters["orgnr"] = OrgnrConverter
    api.register_converter(OrgnrConverter, _orgnr_parameter)
