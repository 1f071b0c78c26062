from __future__ import annotations

import copy
import json

import pytest

from security.levels import DEFAULT_SCHEME, DEFAULT_SCHEME_DATA, ClassificationScheme, SchemeError


def scheme_with(change):
    data = copy.deepcopy(DEFAULT_SCHEME_DATA)
    change(data["levels"])
    return data


def test_default_scheme():
    assert DEFAULT_SCHEME.enabled_keys == ("public", "internal", "sensitive")
    assert DEFAULT_SCHEME.lowest == "public"
    assert DEFAULT_SCHEME.level("sensitive").labels == {
        "sv": "Sekretessbelagd",
        "nb": "Taushetsbelagt",
        "en": "Sensitive",
    }
    assert [lvl.key for lvl in DEFAULT_SCHEME.levels if not lvl.enabled] == [
        "restricted",
        "confidential",
        "secret",
        "top-secret",
    ]


def test_clearance_is_hierarchical_and_unknown_keys_match_nothing():
    s = DEFAULT_SCHEME
    assert s.at_or_below("internal") == {"public", "internal"}
    assert s.at_or_below("secret") == frozenset()  # disabled
    assert s.at_or_below("nonsense") == frozenset()
    assert s.at_or_below(None) == frozenset()
    assert s.clearance_from_scopes(["catalogue:read:public", "catalogue:read:sensitive"]) == "sensitive"
    assert s.clearance_from_scopes(["catalogue:read:secret", "catalogue:write"]) is None
    assert s.not_above("public", "sensitive") and not s.not_above("sensitive", "internal")
    assert not s.not_above("public", "secret")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda levels: levels.append(copy.deepcopy(levels[0])), "appears twice"),
        (lambda levels: levels[1]["labels"].pop("nb"), "lacks a label in: nb"),
        (lambda levels: levels[0].update(enabled=False), "lowest level must be enabled"),
        (lambda levels: levels[4].update(enabled=True), "must form a prefix"),
        (lambda levels: levels[2].update(key="Sensitive Data"), "lower-case"),
        (lambda levels: levels.clear(), "no levels"),
    ],
)
def test_invalid_schemes_are_refused(change, message):
    with pytest.raises(SchemeError, match=message):
        ClassificationScheme.from_dict(scheme_with(change))


def test_enabling_restricted_is_a_valid_recorded_choice(tmp_path):
    data = scheme_with(lambda levels: levels[3].update(enabled=True))
    path = tmp_path / "scheme.json"
    path.write_text(json.dumps(data))
    scheme = ClassificationScheme.load(path)
    assert scheme.enabled_keys[-1] == "restricted"
    assert scheme.read_scopes[-1] == "catalogue:read:restricted"


def test_unreadable_scheme_file(tmp_path):
    path = tmp_path / "scheme.json"
    path.write_text("{not json")
    with pytest.raises(SchemeError, match="Cannot read"):
        ClassificationScheme.load(path)
