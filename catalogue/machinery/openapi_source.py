"""OpenAPI documents given by URL: fetched through the safe fetcher, read as JSON or YAML.

An API entry may give ``openapi_url`` instead of the document's text (issue 18). The
document is fetched here, before any write begins (``EntryWriter.prepare``), and then
checked exactly as an uploaded one is (``catalogue.machinery.children.openapi``:
references only within the document, in a child process, under the same limits). So a
fetched document is never more trusted than an uploaded one.

The fetch is ``security.outbound.fetch``: https only (plain http only to the hosts the
operator names), no private, loopback or link-local address at any hop of a redirect,
the whole request under the outbound deadline, the body under the OpenAPI size cap
(``TILLIT_OPENAPI_MAX_BYTES``, not the outbound one: the stored document has that cap).

Everything that goes wrong is the caller's ``openapi_url`` being unusable: a
``ValidationFailed`` on that field (422), whose text is Tillit's own. The other side's
status line, headers and body are never quoted (they did not come from the request).

YAML is read with PyYAML's safe loader, without aliases (an alias is how a few hundred
bytes of YAML become gigabytes in memory, "billion laughs"), and the result is made
plain JSON (YAML's integer keys, such as response codes, become strings, as in JSON).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import yaml

from catalogue.errors import ValidationFailed
from catalogue.machinery.children.openapi import OpenAPILimits
from security.outbound import OutboundError, OutboundPolicy, fetch

FIELD = "openapi_url"
ACCEPT = "application/json, application/yaml;q=0.9, application/x-yaml;q=0.9, text/yaml;q=0.9, */*;q=0.1"
#: Nesting deeper than this is refused before the document is walked (JSON's own
#: decoder and the checks that follow walk it).
MAX_DEPTH = 200


class _NoAliases(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no stubs here
    """PyYAML's safe loader, refusing aliases (``*name``) before they are expanded."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases are not accepted")
        return super().compose_node(parent, index)


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed({FIELD: [message]})


class FetchLater:
    """An ``OpenAPISource`` that fetches nothing: the URL is kept and the document left
    for the refresh (``catalogue.services.openapi_refresh``: ``tillit harvest openapi-due``
    finds an API whose URL has no copy yet). The harvest's services are built with it
    (``catalogue.compose.entry_service(..., openapi_later=True)``): a harvest writes in
    batches that hold the write lock, and must never wait on another server inside one
    (docs/harvest.md, "OpenAPI documents by URL")."""

    def fetch(self, url: str) -> None:
        """Nothing now: the refresh fetches ``url``."""
        return None


class OpenAPIFetcher:
    """Fetches an OpenAPI document by URL under the outbound rules (the ``OpenAPISource`` port)."""

    def __init__(self, policy: OutboundPolicy | None = None, limits: OpenAPILimits | None = None) -> None:
        limits = limits or OpenAPILimits()
        # The outbound rules, with the document's own size cap.
        self.policy = dataclasses.replace(policy or OutboundPolicy(), max_bytes=limits.max_bytes)

    def fetch(self, url: str) -> dict[str, Any]:
        """The document at ``url`` as JSON; ``ValidationFailed`` on ``openapi_url`` otherwise."""
        try:
            response = fetch(url, policy=self.policy, headers={"Accept": ACCEPT})
        except OutboundError as exc:
            # The outbound messages name the rule, never what the other side sent.
            raise _refuse(f"The OpenAPI document could not be fetched: {exc}") from None
        if response.status != 200:
            raise _refuse("The OpenAPI document could not be fetched: the URL did not answer 200 OK.")
        return parse_document(response.body)


def parse_document(body: bytes) -> dict[str, Any]:
    """``body`` (JSON or YAML, UTF-8) as a JSON object; ``ValidationFailed`` if it is not one."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse("The OpenAPI document is not UTF-8 text.") from None
    if _depth(text) > MAX_DEPTH:
        raise _refuse(f"The OpenAPI document nests deeper than {MAX_DEPTH} levels.")
    try:
        loaded = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, Loader=_NoAliases)  # noqa: S506  (a safe loader)
        # Plain JSON: YAML's integer keys and dates become strings, as JSON has them.
        document = json.loads(json.dumps(loaded, default=str))
    except (ValueError, TypeError, yaml.YAMLError, RecursionError):
        raise _refuse(
            "The OpenAPI document is neither JSON nor YAML without aliases (anchors and '*' references)."
        ) from None
    if not isinstance(document, dict):
        raise _refuse("The OpenAPI document is not an object.")
    return document


def _depth(text: str) -> int:
    """A cheap upper bound of the flow nesting ({ and [); block YAML nests by indentation,
    which the line length bounds."""
    depth = deepest = 0
    for char in text:
        if char in "{[":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "}]":
            depth = max(0, depth - 1)
    return deepest
