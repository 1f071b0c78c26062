"""catalogue.operations: an API's operations read from its document, and the rule
an operation's classification and data elements keep (docs/operations.md)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from catalogue.errors import ValidationFailed
from catalogue.operations import Operation, operation_problems, parse_operations
from security.levels import DEFAULT_SCHEME

SCHEME = DEFAULT_SCHEME
KNOWN = {"postal-address", "name", "personal-identity-number"}


def _known(keys: Sequence[str]) -> set[str]:
    return KNOWN & set(keys)


def problems(operations: Sequence[Operation], classification: str) -> list[str]:
    return operation_problems(
        operations,
        classification,
        is_enabled=SCHEME.is_enabled,
        not_above=SCHEME.not_above,
        known_elements=_known,
    )


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "Folkeregisteret", "version": "1"},
    "paths": {
        "/personer/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True}],
            "get": {
                "operationId": "hentPerson",
                "summary": "Hent person",
                "tags": ["person", 7],
                "x-data-elements": ["name", "postal-address"],
                "x-classification": "sensitive",
            },
            "delete": {"summary": "Slett"},
            "x-internal": {"get": "not an operation"},
        },
        "/status": {"get": {}},
    },
}


def test_operations_are_read_in_document_order_with_their_extensions() -> None:
    ops = parse_operations(DOCUMENT)
    assert [(o.method, o.path) for o in ops] == [
        ("GET", "/personer/{id}"),
        ("DELETE", "/personer/{id}"),
        ("GET", "/status"),
    ]
    first = ops[0]
    assert first.operation_id == "hentPerson"
    assert first.summary == "Hent person"
    assert first.tags == ("person",)  # a tag that is no string is left out
    assert first.data_elements == ("name", "postal-address")
    assert first.classification == "sensitive"
    assert ops[1] == Operation("DELETE", "/personer/{id}", summary="Slett")
    assert ops[2].operation_id is None and ops[2].classification is None


@pytest.mark.parametrize("document", [None, {}, {"paths": []}, {"paths": {"/x": "no item"}}])
def test_no_paths_no_operations(document: object) -> None:
    assert parse_operations(document) == ()  # type: ignore[arg-type]  # shapes a client may send


@pytest.mark.parametrize(
    ("extension", "value"),
    [
        ("x-data-elements", "name"),
        ("x-data-elements", [1]),
        ("x-data-elements", ["name", "name"]),
        ("x-data-elements", ["k"] * 51),
        ("x-classification", 3),
        ("x-classification", ""),
        ("x-classification", "x" * 33),
    ],
)
def test_a_malformed_extension_is_a_field_error_naming_where(extension: str, value: object) -> None:
    document = {"paths": {"/a": {"get": {extension: value}}}}
    with pytest.raises(ValidationFailed) as raised:
        parse_operations(document)
    (message,) = raised.value.errors["openapi"]
    assert message.startswith('At $.paths["/a"].get, ' + extension)


def test_long_texts_are_cut() -> None:
    ops = parse_operations({"paths": {"/" + "a" * 2000: {"get": {"summary": "s" * 5000}}}})
    assert len(ops[0].path) == 1001 and ops[0].path.endswith("…")
    assert len(ops[0].summary or "") == 1001


def test_an_operation_may_be_classified_at_or_below_its_api() -> None:
    ops = (
        Operation("GET", "/a", classification="public"),
        Operation("GET", "/b", classification="sensitive"),
        Operation("GET", "/c"),
    )
    assert problems(ops, "sensitive") == []


def test_an_operation_above_its_api_is_refused() -> None:
    ops = parse_operations({"paths": {"/b": {"get": {"x-classification": "sensitive"}}}})
    (message,) = problems(ops, "internal")
    assert "above the API's classification 'internal'" in message
    assert message.startswith("At $.paths[\"/b\"].get, x-classification 'sensitive'")


def test_an_unknown_level_is_refused() -> None:
    (message,) = problems((Operation("GET", "/a", classification="top-secret"),), "sensitive")
    assert "'top-secret' is not a classification level in force" in message


def test_unknown_data_elements_are_named_once() -> None:
    ops = (
        Operation("GET", "/a", data_elements=("name", "shoe-size")),
        Operation("GET", "/b", data_elements=("shoe-size",)),
    )
    (message,) = problems(ops, "public")
    assert message == "x-data-elements names unknown data element 'shoe-size' (GET /api/v1/data-elements)."
