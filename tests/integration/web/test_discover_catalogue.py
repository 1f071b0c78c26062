"""The discover area's message catalogue: every label of its pages is translated into
Swedish, Norwegian bokmål and nynorsk, and every theme has a name in each language."""

from __future__ import annotations

from api.web import labels
from catalogue.schemas import THEMES


def test_every_theme_is_named_in_every_language():
    assert set(labels.THEMES) == set(THEMES)
    for code, names in labels.THEMES.items():
        assert all(names.get(lang) for lang in ("sv", "nb", "nn", "en")), code
