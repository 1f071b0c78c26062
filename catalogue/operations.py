"""An API's operations, read from its OpenAPI document: pure functions, no I/O.

``parse_operations`` walks ``paths`` once and returns each operation (method, path,
operationId, summary, tags, and the Tillit extensions ``x-data-elements`` and
``x-classification``). It runs in ``EntryService.prepare``, after the document was
checked (bounded in size and in operation count by ``OpenAPILimits``, validated in the
child process), and before the write transaction opens: a malformed extension is a
422 naming the JSON path that was sent, and nothing else.

``operation_problems`` is the rule an operation's own fields must keep against the
entry as it will be (docs/operations.md): an operation's classification is a level in
force and never above the API's; its data elements are in the vocabulary. It needs
the scheme and the known element keys, so the write step calls it (cheap: set and
list lookups over at most ``max_operations`` items).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from catalogue.errors import ValidationFailed

FIELD = "openapi"
#: Operation keys of a path item, in the order shown (OpenAPI 3.0 to 3.2).
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
CLASSIFICATION_KEY = "x-classification"
ELEMENTS_KEY = "x-data-elements"
#: Longest operationId, summary, tag and path kept; longer ones are cut with "…".
MAX_TEXT = 1000
MAX_TAGS = 20
MAX_ELEMENTS = 50


@dataclass(frozen=True)
class Operation:
    """One operation of an API, as its document (and Tillit's extensions) describe it."""

    method: str
    path: str
    operation_id: str | None = None
    summary: str | None = None
    tags: tuple[str, ...] = ()
    data_elements: tuple[str, ...] = ()
    #: The operation's own level; None: the API's.
    classification: str | None = None
    #: Where it is in the document, for error messages (never stored).
    where: str = field(default="", compare=False)


def parse_operations(document: Mapping[str, Any] | None) -> tuple[Operation, ...]:
    """The operations under ``paths``, in document order; ValidationFailed (field
    ``openapi``) when a Tillit extension has the wrong shape."""
    if not document:
        return ()
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        return ()
    return tuple(_operations(paths))


def _operations(paths: Mapping[str, Any]) -> Iterator[Operation]:
    for path, item in paths.items():
        if not isinstance(item, Mapping):
            continue
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, Mapping):
                yield _operation(str(path), method, op, f"$.paths[{json.dumps(str(path))[:200]}].{method}")


def _operation(path: str, method: str, op: Mapping[str, Any], where: str) -> Operation:
    tags = op.get("tags")
    return Operation(
        method=method.upper(),
        path=_cut(path),
        operation_id=_text(op.get("operationId")),
        summary=_text(op.get("summary")),
        tags=tuple(_cut(t) for t in tags[:MAX_TAGS] if isinstance(t, str)) if isinstance(tags, list) else (),
        data_elements=_elements(op.get(ELEMENTS_KEY), where),
        classification=_classification(op.get(CLASSIFICATION_KEY), where),
        where=where,
    )


def _elements(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if (
        not isinstance(value, list)
        or len(value) > MAX_ELEMENTS
        or not all(isinstance(k, str) and 0 < len(k) <= 64 for k in value)
    ):
        _refuse(
            f"At {where}, {ELEMENTS_KEY} must be a list of at most {MAX_ELEMENTS} data element keys "
            "(GET /api/v1/data-elements)."
        )
    if len(set(value)) != len(value):
        _refuse(f"At {where}, {ELEMENTS_KEY} names a data element twice.")
    return tuple(value)


def _classification(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 32:
        _refuse(f"At {where}, {CLASSIFICATION_KEY} must be the key of a classification level.")
    return str(value)


def operation_problems(
    operations: Sequence[Operation],
    classification: str,
    *,
    is_enabled: Callable[[str], bool],
    not_above: Callable[[str, str], bool],
    known_elements: Callable[[Sequence[str]], set[str]],
) -> list[str]:
    """What breaks the rule (docs/operations.md) in ``operations`` of an API classified
    ``classification``: messages naming only what the document says."""
    problems: list[str] = []
    for op in operations:
        level = op.classification
        if level is None:
            continue
        if not is_enabled(level):
            problems.append(
                f"At {_place(op)}, {CLASSIFICATION_KEY} {level!r} is not a classification level in force."
            )
        elif is_enabled(classification) and not not_above(level, classification):
            problems.append(
                f"At {_place(op)}, {CLASSIFICATION_KEY} {level!r} is above the API's classification "
                f"{classification!r}: an operation may not be classified above its API."
            )
    wanted = sorted({k for op in operations for k in op.data_elements})
    if wanted:
        known = known_elements(wanted)
        unknown = [k for k in wanted if k not in known]
        if unknown:
            problems.append(
                f"{ELEMENTS_KEY} names unknown data element "
                + ", ".join(map(repr, unknown))
                + " (GET /api/v1/data-elements)."
            )
    return problems


def _place(op: Operation) -> str:
    return op.where or f"{op.method} {op.path}"


def _text(value: Any) -> str | None:
    return _cut(value) if isinstance(value, str) and value else None


def _cut(value: str) -> str:
    return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "…"


def _refuse(message: str) -> NoReturn:
    raise ValidationFailed({FIELD: [message]})
