"""What a declaration of an entry field can say: :class:`EntryField` and its parts.

The declarations themselves, and what is derived from them, are in
:mod:`catalogue.fields`; this module is their vocabulary (how a field is stored, who
may send it, where it is shown, how it is indexed and kept in a review's JSON) and the
two marshmallow fields a declaration turns into (:meth:`EntryField.input_field`,
:meth:`EntryField.output_field`). docs/fields.md explains each part.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

from marshmallow import fields, missing

from catalogue.shapes import LANGUAGES

#: How the entry services store a field:
#: ``column``: a model column of the same name, copied as it is by ``_merged``/``_apply``;
#: ``special``: written by hand in ``_merged``/``_apply`` (a relation, or two columns);
#: ``system``: set by the services (id, publisher, status, ...), never copied from input;
#: ``derived``: not stored, computed from other fields when shown.
Storage = Literal["column", "special", "system", "derived"]
#: Who may send it: always, only when registering the entry, or never.
InputMode = Literal["always", "create", "never"]
#: The view it is shown in: the redacted summary (and so also the whole entry), only
#: the whole entry, only the whole entry read alone (``single``: one entry by id and the
#: answer to a write, never a list, a search hit or a holder: too large to repeat per
#: item, and so never in the cached rendering either), or no view.
OutputView = Literal["summary", "full", "single", "never"]
#: How a document field is indexed. ``keyword``: exact values (filters, facets, access
#: labels); ``boolean``; ``language_text``: one analysed field per language,
#: ``<name>_<lang>``; ``text``: analysed text of no particular language; ``long``,
#: ``date``; ``sort``: a normalised keyword to sort by.
IndexKind = Literal["keyword", "boolean", "language_text", "text", "long", "date", "sort"]
#: ``summary``: may match for every caller who may list the entry; ``full``: only
#: for callers who may read the whole entry (search.backend, "Two field groups").
IndexGroup = Literal["summary", "full"]

BOTH: Final = frozenset({"dataset", "api"})
DATASET: Final = frozenset({"dataset"})
API: Final = frozenset({"api"})


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: The ``default`` of a field that must be given.
REQUIRED: Final = _Required()


@dataclass(frozen=True)
class Indexed:
    """One field of the search document, made from an entry field."""

    name: str
    kind: IndexKind
    group: IndexGroup = "summary"
    #: A keyword with a list of values.
    many: bool = False
    #: Built by search.documents from more than the column's value (a relation,
    #: the publisher's name); ``False``: the column's value as it is, by kind.
    computed: bool = False

    def names(self) -> tuple[str, ...]:
        """The document's field names (one per language for ``language_text``)."""
        if self.kind == "language_text":
            return tuple(f"{self.name}_{lang}" for lang in LANGUAGES)
        return (self.name,)


@dataclass(frozen=True)
class JsonCodec:
    """How a value loaded by the input schema is kept in a review's JSON, and back."""

    to_json: Callable[[Any], Any]
    from_json: Callable[[Any], Any]


@dataclass(frozen=True)
class EntryField:
    """One field of an entry; refuses (at import) input without ``load`` or a shown field without ``dump``."""

    name: str
    #: The input field, given ``required``, or ``load_default`` and ``allow_none``
    #: (derived from ``default``). None: never input.
    load: Callable[..., fields.Field[Any]] | None
    #: The output field. None: never shown.
    dump: Callable[[], fields.Field[Any]] | None
    storage: Storage = "column"
    applies_to: frozenset[str] = BOTH
    input: InputMode = "always"
    output: OutputView = "full"
    #: A change to it on a published entry waits for a security officer's review.
    reviewed: bool = False
    #: The value when the input omits it: REQUIRED, or a value (copied before use).
    default: Any = None
    index: tuple[Indexed, ...] = ()
    #: How a review keeps it as JSON (None: it is JSON already).
    json: JsonCodec | None = None

    def __post_init__(self) -> None:
        if (self.load is None) != (self.input == "never"):
            raise ValueError(f"{self.name}: an input field needs ``load``, and only an input field has one")
        if (self.dump is None) != (self.output == "never"):
            raise ValueError(f"{self.name}: a shown field needs ``dump``, and only a shown field has one")

    @property
    def required(self) -> bool:
        """Whether the input must give it (its ``default`` is ``REQUIRED``)."""
        return self.default is REQUIRED

    def fresh_default(self) -> Any:
        """The default, copied: a list or dict default is never shared."""
        if self.required:
            raise KeyError(self.name)
        return copy.copy(self.default)

    def input_field(self) -> fields.Field[Any]:
        """The input schema's field: ``required``, or its default and ``allow_none``; KeyError if no input."""
        if self.load is None:
            raise KeyError(self.name)
        if self.required:
            return self.load(required=True)
        default = self.default
        # A mutable default as a factory (so it is never shared); others as values,
        # which the OpenAPI document then shows.
        load_default = type(default) if isinstance(default, list | dict) else default
        return self.load(load_default=load_default, allow_none=default is None)

    def output_field(self) -> fields.Field[Any]:
        """The output schema's field, omitted on the other type's entries; KeyError if never shown."""
        if self.dump is None:
            raise KeyError(self.name)
        field = self.dump()
        return field if self.applies_to == BOTH else _OnlyFor(field, self.applies_to)


class _OnlyFor(fields.Field[Any]):
    """Shows a type-specific field only on entries of that type (omitted otherwise)."""

    def __init__(self, inner: fields.Field[Any], types: frozenset[str]) -> None:
        super().__init__(dump_only=True)
        self.inner = inner
        self.types = types

    def serialize(
        self, attr: str, obj: Any, accessor: Callable[[Any, str, Any], Any] | None = None, **kwargs: Any
    ) -> Any:
        if getattr(obj, "type", None) not in self.types:
            return missing
        return self.inner.serialize(attr, obj, accessor, **kwargs)
