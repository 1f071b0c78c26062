"""The agencies every test app starts with (a module of its own so that helpers
imported by ``tests/conftest.py`` can name them without importing it)."""

from __future__ import annotations

SKATTEVERKET = "202100-5448"
LANTMATERIET = "202100-4888"
SKATTEETATEN = "974761076"

AGENCIES = {
    SKATTEVERKET: ("SE", {"sv": "Skatteverket", "en": "Swedish Tax Agency"}, "sensitive"),
    LANTMATERIET: ("SE", {"sv": "Lantmäteriet", "en": "Swedish Mapping Authority"}, "sensitive"),
    SKATTEETATEN: ("NO", {"nb": "Skatteetaten", "en": "Norwegian Tax Administration"}, "sensitive"),
}
