"""Python's ``$`` also matches before a final newline: every pattern a field checks
refuses a trailing newline (it would reach a Location header or a Link)."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from catalogue.schemas import DataElementCreateSchema
from catalogue.shapes import DistributionSchema, element_keys


def test_a_data_element_key_with_a_trailing_newline_is_refused() -> None:
    field = element_keys()
    assert field.deserialize(["postal-address"]) == ["postal-address"]
    with pytest.raises(ValidationError):
        field.deserialize(["postal-address\n"])


@pytest.mark.parametrize(("key", "uri"), [("foo\n", "urn:x:foo"), ("foo", "urn:x:foo\n")])
def test_a_new_element_with_a_trailing_newline_is_refused(key: str, uri: str) -> None:
    data = {"key": key, "uri": uri, "vocabulary": "Tillit", "labels": {"sv": "x", "nb": "x", "en": "x"}}
    errors = DataElementCreateSchema().validate(data)
    assert ("key" if key.endswith("\n") else "uri") in errors


def test_a_media_type_with_a_trailing_newline_is_refused() -> None:
    errors = DistributionSchema().validate({"media_type": "text/csv\n"})
    assert "media_type" in errors
    assert "media_type" not in DistributionSchema().validate({"media_type": "text/csv"})
