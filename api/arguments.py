"""Query arguments, parsed once per distinct query string.

flask-smorest hands every ``@blp.arguments`` to webargs' ``FlaskParser``, which
loads the request's arguments through the marshmallow schema on every request:
on a read of one entry, with no query string at all, that was about a tenth of
the time the application spent (the schema walked, each field looked up and
defaulted). A query schema's answer depends on nothing but the query string, so
:class:`ArgumentsParser` keeps what it answered, by the schema and the exact
query string (``QUERY_STRING``, as sent):

- only answers that loaded without an error are kept: a bad query string is
  parsed, and answered 422, every time it is sent;
- only answers whose values are all immutable are kept (strings, numbers,
  booleans, dates, tuples): one holding a list is
  parsed every time, so a view can never change what another request is given;
  each request gets a dict of its own;
- at most ``MAX_KEPT`` answers per parser, forgotten all at once when full (a
  query string is at most ``api.edge.MAX_URL_BYTES`` long).

Bodies, headers and every other location go to webargs unchanged.
"""

from __future__ import annotations

import datetime
import decimal
import threading
import uuid
from typing import Any

from flask import request
from marshmallow import Schema
from webargs.flaskparser import FlaskParser

#: Answers kept per parser before they are forgotten all at once.
MAX_KEPT = 512
IMMUTABLE = (
    str,
    bytes,
    int,
    float,
    bool,
    type(None),
    datetime.date,
    datetime.time,
    datetime.timedelta,
    decimal.Decimal,
    uuid.UUID,
)


def _immutable(value: Any) -> bool:
    if isinstance(value, tuple | frozenset):
        return all(_immutable(v) for v in value)
    return isinstance(value, IMMUTABLE)


class ArgumentsParser(FlaskParser):
    """webargs' Flask parser, keeping what a query schema answered for a query string."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: dict[tuple[Schema, Any, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def parse(self, argmap: Any, req: Any = None, *, location: str | None = None, **kwargs: Any) -> Any:
        plain = isinstance(argmap, Schema) and not kwargs.get("validate")
        if location not in ("query", "querystring") or not plain:
            return super().parse(argmap, req, location=location, **kwargs)
        environ = (req or request).environ
        key = (argmap, kwargs.get("unknown"), str(environ.get("QUERY_STRING", "")))
        kept = self._kept.get(key)
        if kept is not None:
            return dict(kept)
        parsed = super().parse(argmap, req, location=location, **kwargs)
        if isinstance(parsed, dict) and all(_immutable(v) for v in parsed.values()):
            with self._lock:
                if len(self._kept) >= MAX_KEPT:
                    self._kept.clear()
                self._kept[key] = dict(parsed)
        return parsed
