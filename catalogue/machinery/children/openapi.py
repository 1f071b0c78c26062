"""OpenAPI documents that agencies upload: checked before any write begins, and
checked without ever reading anything but the document itself.

An uploaded document once read the server's files and reached its loopback
network: the validator followed ``$ref: file:///…`` and ``http://127.0.0.1/…``
and quoted what it found in the 422 (issue 13). Three guards, each enough alone:

1. ``outside_references``: a document that names anything outside itself (a
   reference that is not a local ``#…`` pointer, an ``$id`` that moves the base
   URI, an unknown ``$schema`` dialect, an ``externalValue``) is refused before
   the validator sees it.
2. The validator resolves references through a registry whose every retrieval,
   for every URI scheme, is refused (``_REFUSE_EVERY_RETRIEVAL``).
3. What reaches the caller is fixed text, the JSON path of the fault and names
   from the OpenAPI schema: never a validator's message, which may quote what a
   reference resolved to.

Checking costs CPU for seconds on a large document, so it is a pure function of
the document, run before the write transaction opens (``EntryService``), and the
size and operation count are bounded first (``OpenAPILimits``).

Within those bounds, cost is still not bounded: a 0.8 MB document of 3,000 schemas
that chain references took 10 to 24 s of CPU, holding the web process's GIL against
every other request all along. So the validator (not the cheap scans) runs in a
child process of its own (``validator_process``, ``catalogue/machinery/children/calls.py``),
within ``OpenAPILimits.validation_seconds`` of wall-clock time; past it the child is
killed and the document refused (422, "too complex"). The child answers with the
same fixed-text message the validator's pass builds here. There is one child per
web process, one document at a time: a second upload waits for it as long as its
own deadline, then gets 503 with Retry-After (the document was not judged, so not
422), and so does an upload whose child ended before answering (killed, crashed).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from jsonschema.exceptions import ValidationError, best_match
from jsonschema.validators import validator_for
from jsonschema_path import SchemaPath
from openapi_spec_validator.shortcuts import get_validator_cls
from openapi_spec_validator.validation.exceptions import (
    DuplicateOperationIDError,
    ExtraParametersError,
    ParameterDuplicateError,
    UnresolvableParameterError,
    ValidatorDetectError,
)
from referencing.exceptions import PointerToNowhere

from catalogue.errors import TooLarge, Unavailable, ValidationFailed
from catalogue.machinery.children.calls import CallTooSlow, ChildBusy, ChildCaller, ChildLost

FIELD = "openapi"
#: Keys whose string value is a reference the validator (or a reader) would follow.
REFERENCE_KEYS = ("$ref", "$dynamicRef", "$recursiveRef", "operationRef")
#: Keys of a path item that are operations (OpenAPI 2.0 to 3.2).
OPERATION_KEYS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace", "query"})
_LONGEST_QUOTE = 200


@dataclass(frozen=True)
class OpenAPILimits:
    """Bounds on an uploaded document (settings TILLIT_OPENAPI_MAX_BYTES,
    TILLIT_OPENAPI_MAX_OPERATIONS and TILLIT_OPENAPI_VALIDATION_SECONDS)."""

    max_bytes: int = 1024 * 1024
    max_operations: int = 500
    validation_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.max_bytes < 1 or self.max_operations < 1 or not self.validation_seconds > 0:
            raise ValueError("OpenAPI document limits must be positive.")


def check_openapi_document(document: Mapping[str, Any], limits: OpenAPILimits) -> None:
    """Refuse a document that is too large (``TooLarge``) or not a valid, self-contained
    OpenAPI document (``ValidationFailed``), naming the field ``openapi``."""
    size = len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())
    if size > limits.max_bytes:
        raise TooLarge(
            {FIELD: [f"The OpenAPI document is {size} bytes; at most {limits.max_bytes} are accepted."]},
            "The OpenAPI document is larger than this catalogue accepts.",
        )
    operations = operation_count(document)
    if operations > limits.max_operations:
        _refuse(
            f"The OpenAPI document has {operations} operations; at most {limits.max_operations} are accepted."
        )
    for where, what in outside_references(document):
        _refuse(
            f"The OpenAPI document refers to something outside itself at {where} ({what}). "
            'Only references inside the document ("#/…") are accepted; nothing is fetched.'
        )
    problem = _validation_problem_in_child(document, limits.validation_seconds)
    if problem is not None:
        _refuse(f"Not a valid OpenAPI document: {problem}")


class OpenAPIDocumentChecker:
    """``check_openapi_document`` within ``limits``, behind the ``catalogue.ports.OpenAPIValidator`` port."""

    def __init__(self, limits: OpenAPILimits | None = None) -> None:
        self.limits = limits or OpenAPILimits()

    def check(self, document: Mapping[str, Any]) -> None:
        """Refuse a document too large or not a valid, self-contained OpenAPI document."""
        check_openapi_document(document, self.limits)


def _validation_problem_in_child(document: Mapping[str, Any], seconds: float) -> str | None:
    try:
        problem = validator_process.call(dict(document), seconds)
    except CallTooSlow:
        _refuse(
            f"The OpenAPI document is too complex to validate within {_seconds(seconds)}; "
            "split or simplify it."
        )
    except ChildBusy:
        raise Unavailable(
            "The OpenAPI validator is busy with other documents; try again shortly.",
            retry_after=math.ceil(seconds),
        ) from None
    except ChildLost:
        raise Unavailable("The OpenAPI validator stopped before it answered; try again shortly.") from None
    if problem is not None and not isinstance(problem, str):
        raise TypeError(f"The OpenAPI validator answered {type(problem).__name__}.")
    return problem


def _seconds(seconds: float) -> str:
    return "1 second" if seconds == 1 else f"{seconds:g} seconds"


def operation_count(document: Mapping[str, Any]) -> int:
    """Operations under ``paths`` and ``webhooks`` (and 3.2's ``additionalOperations``)."""
    count = 0
    for section in ("paths", "webhooks"):
        items = document.get(section)
        if not isinstance(items, Mapping):
            continue
        for item in items.values():
            if isinstance(item, Mapping):
                count += sum(1 for key in item if key in OPERATION_KEYS)
                extra = item.get("additionalOperations")
                count += len(extra) if isinstance(extra, Mapping) else 0
    return count


def outside_references(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(JSON path, what) for everything in the document that names a place outside it.

    Walked without recursion, at any depth: a key holding a mapping (a property
    named ``$ref``, say) is data, not a reference, and is walked into."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if isinstance(value, str):
                    what = _outside(str(key), value, at_root=not path)
                    if what is not None:
                        yield json_path((*path, key)), what
                else:
                    stack.append((value, (*path, key)))
        elif isinstance(node, list):
            stack.extend((value, (*path, i)) for i, value in enumerate(node))


def _outside(key: str, value: str, *, at_root: bool) -> str | None:
    if key in REFERENCE_KEYS and not value.startswith("#"):
        return f"{key} {_quote(value)}"
    if key == "$id":
        return f"$id {_quote(value)}, which would move where the document's references point"
    if (key == "$schema" or (key == "jsonSchemaDialect" and at_root)) and not _known_dialect(value):
        return f"{key} {_quote(value)}, a dialect this catalogue does not know"
    if key == "externalValue":
        return f"externalValue {_quote(value)}"
    return None


def _known_dialect(uri: str) -> bool:
    """A dialect the validator knows without fetching it (JSON Schema drafts, OAS)."""
    return validator_for({"$schema": uri}, default=None) is not None


def json_path(parts: tuple[Any, ...] | list[Any]) -> str:
    """``parts`` as a JSON path (``$.paths["/x"].get``), cut short past 400 characters."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return out if len(out) <= 2 * _LONGEST_QUOTE else out[: 2 * _LONGEST_QUOTE] + "…"


def _quote(value: str) -> str:
    short = value if len(value) <= _LONGEST_QUOTE else value[:_LONGEST_QUOTE] + "…"
    return json.dumps(short, ensure_ascii=False)


def _refuse(message: str) -> NoReturn:
    raise ValidationFailed({FIELD: [message]})


# -- the validator, unable to read anything but the document --------------------
class RetrievalRefused(Exception):
    """The validator asked for a document outside the one uploaded."""


def _refuse_retrieval(uri: str) -> NoReturn:
    raise RetrievalRefused


class _RefuseEveryScheme(Mapping[str, Callable[[str], Any]]):
    """jsonschema-path's retriever uses the handler registered for a URI's scheme
    and, for a scheme with none, falls back to urlopen: so this answers for every
    scheme (file, http, ftp, none at all) with a handler that refuses."""

    def __getitem__(self, scheme: str) -> Callable[[str], Any]:
        return _refuse_retrieval

    def __contains__(self, scheme: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


_REFUSE_EVERY_RETRIEVAL = _RefuseEveryScheme()

#: The validator's own checks, as fixed text (their messages quote resolved content).
_SPEC_RULES: dict[type[Exception], str] = {
    DuplicateOperationIDError: "an operationId is used by more than one operation.",
    UnresolvableParameterError: "a path template parameter is not declared as a path parameter.",
    ParameterDuplicateError: "a parameter is declared twice for the same operation.",
    ExtraParametersError: "a path parameter is declared that the path does not have.",
}


def validation_problem(document: Mapping[str, Any]) -> str | None:
    """The first fault the OpenAPI validator finds, described from fixed text, the
    JSON path and the OpenAPI schema; None when there is none. It never reads a
    file or URL: every retrieval is refused, whatever the document says."""
    try:
        validator_cls = get_validator_cls(document)
    except ValidatorDetectError:
        return 'no known version: give "openapi" (3.0, 3.1 or 3.2) or "swagger" (2.0).'
    spec = SchemaPath.from_dict(dict(document), handlers=_REFUSE_EVERY_RETRIEVAL)
    try:
        error = next(iter(validator_cls(spec).iter_errors()), None)
    except Exception as exc:  # a reference or a value the validator could not follow
        return _unfollowable(exc)
    if error is None:
        return None
    return _described(error)


def _unfollowable(exc: BaseException) -> str:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RetrievalRefused):
            return 'it refers to something outside itself; only references inside it ("#/…") are accepted.'
        if isinstance(seen, PointerToNowhere):
            return f"the reference {_quote('#' + str(seen.ref))} points at nothing in the document."
        seen = seen.__cause__ or seen.__context__
    return "the validator could not follow its references or values."


def _described(error: ValidationError) -> str:
    for rule, text in _SPEC_RULES.items():
        if isinstance(error, rule):
            return text
    if error.context:  # oneOf/anyOf: the branch that came closest says most
        error = best_match(error.context)
    where = json_path(list(error.absolute_path))
    keyword = error.validator if isinstance(error.validator, str) else None
    if keyword == "required" and isinstance(error.validator_value, list):
        present = error.instance if isinstance(error.instance, Mapping) else {}
        missing = [n for n in error.validator_value if isinstance(n, str) and n not in present]
        return f"at {where}, required {', '.join(_quote(n) for n in missing) or 'fields are'} missing."
    if keyword == "type":
        return f"at {where}, the value must be of type {_quote(str(error.validator_value))}."
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        return f"at {where}, a field is not allowed here."
    if keyword in ("enum", "const"):
        return f"at {where}, the value is not one of those allowed."
    if keyword is not None:
        return f"at {where}, the value breaks the rule {_quote(keyword)} of the OpenAPI schema."
    return f"at {where}, the value breaks a rule of the OpenAPI specification."


#: The child process that runs ``validation_problem``; see the module docstring.
validator_process = ChildCaller(validation_problem, name="tillit-openapi-validator")
