"""The ranking oracle: can entries a caller may not see move the order of what it sees?

With BM25 they could. A term's weight (IDF) falls as more documents contain it,
and the average field length comes from every document, hidden ones included.
So with two query words, A ("zebra zebra quokka") and B ("zebra quokka quokka")
swap places when hidden entries make one word common and the other rare. On the
engine before this fix the anonymous order was [A, B] with hidden drafts holding
"quokka" and [B, A] once they held "zebra" instead.

These tests run on the embedded engine directly, with the hidden entries in
every class a caller cannot see: other agencies' drafts, in-review and retired
entries at a level it may list, and entries listed above its clearance.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search.backend import SearchQuery
from search.embedded import EmbeddedBackend
from security.policy import OPEN_STATUSES, ReadFilter
from tests.contract.docs import make_doc

ANONYMOUS = ReadFilter(frozenset({"public"}), OPEN_STATUSES, None)
OWNER = "974761076"
OWN_AGENCY = ReadFilter(frozenset({"public"}), OPEN_STATUSES, OWNER)
#: (status, classification) of hidden entries: each class the anonymous caller cannot see.
HIDDEN_CLASSES = (
    ("draft", "public"),
    ("in_review", "public"),
    ("retired", "public"),
    ("published", "internal"),
    ("published", "sensitive"),
)


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    engine = EmbeddedBackend(tmp_path / "instance")
    try:
        yield engine
    finally:
        engine.close()


def visible(engine: EmbeddedBackend) -> None:
    engine.upsert(
        [
            make_doc("a", "Zebra zebra quokka", description="zebra quokka"),
            make_doc("b", "Zebra quokka quokka", description="zebra quokka"),
            # Unrelated visible entries, so the corpus is not only the two.
            *(make_doc(f"v{i}", f"Register {i}", description="Om registret") for i in range(5)),
        ]
    )


def hidden(engine: EmbeddedBackend, word: str, revision: int, publisher: str = "202100-4888") -> None:
    """Twenty hidden entries (four of each class) whose text holds ``word`` a lot."""
    docs = []
    for n in range(4):
        for status, classification in HIDDEN_CLASSES:
            docs.append(
                make_doc(
                    f"h-{status}-{classification}-{n}",
                    f"{word} {word} {word}",
                    description=f"{word} " * 20,
                    keywords=word,
                    classification=classification,
                    status=status,
                    publisher=publisher,
                    revision=revision,
                )
            )
    engine.upsert(docs)
    engine.refresh()


def order(engine: EmbeddedBackend, rf: ReadFilter = ANONYMOUS, text: str = "zebra quokka") -> list[str]:
    return [h.id for h in engine.search(rf, SearchQuery(text=text, per_page=100)).hits]


def test_hidden_entries_cannot_flip_the_order_of_visible_hits(backend):
    visible(backend)
    hidden(backend, "quokka", revision=1)
    with_quokka = order(backend)
    hidden(backend, "zebra", revision=2)  # the same hidden entries, now full of the other word
    with_zebra = order(backend)
    assert set(with_quokka) == {"a", "b"}
    assert with_quokka == with_zebra


QUERIES = ("zebra quokka", "zebra", "quokka", "zebr*", '"zebra quokka"', "zebra -register", "quokka zebr*")


def test_every_query_shape_orders_as_with_no_hidden_entries_at_all(backend):
    visible(backend)
    backend.refresh()
    alone = {text: order(backend, text=text) for text in QUERIES}
    for revision, word in enumerate(("quokka", "zebra", "zebra quokka"), start=1):
        hidden(backend, word, revision)
        assert {text: order(backend, text=text) for text in QUERIES} == alone, word


def test_a_single_word_cannot_be_moved_by_field_length_either(backend):
    # BM25 normalises a field's term frequency by the average length of that field
    # over the index; hidden entries with long titles changed it.
    backend.upsert(
        [
            make_doc("short", "Zebra", description="zebra zebra zebra zebra"),
            make_doc("long", "Zebra zebra i ett mycket långt och utförligt namn", description="zebra"),
        ]
    )
    backend.refresh()
    alone = order(backend, text="zebra")
    for revision, length in enumerate((1, 60), start=1):
        backend.upsert(
            [
                make_doc(f"h{i}", " ".join(["ord"] * length), status="draft", revision=revision)
                for i in range(30)
            ]
        )
        backend.refresh()
        assert order(backend, text="zebra") == alone


def test_own_agency_drafts_do_not_move_others_either(backend):
    # The publisher sees its own drafts; they still may not move another caller's ranking.
    visible(backend)
    hidden(backend, "quokka", revision=1, publisher=OWNER)
    anonymous_before = order(backend)
    own_before = order(backend, OWN_AGENCY)
    hidden(backend, "zebra", revision=2, publisher=OWNER)
    assert order(backend) == anonymous_before
    # For the owner the drafts are visible hits; the order of the others stays put.
    own_after = [i for i in order(backend, OWN_AGENCY) if i in ("a", "b")]
    assert own_after == [i for i in own_before if i in ("a", "b")]


def test_hidden_entries_cannot_choose_which_part_of_a_description_is_shown(backend):
    # Over 200 characters, with one query word near the start and one near the end:
    # which part is shown must not depend on how common each word is in hidden entries.
    filler = " ".join(["och", "mer", "text"] * 30)
    backend.upsert(
        [make_doc("long", "Zebra quokka", description=f"Zebra i början. {filler} Quokka i slutet.")]
    )
    backend.refresh()

    def shown() -> dict[str, str]:
        return dict(backend.search(ANONYMOUS, SearchQuery(text="zebra quokka")).hits[0].highlights)

    alone = shown()
    assert "<mark>Zebra</mark>" in alone["description"] and len(alone["description"]) < 300
    for revision, word in enumerate(("zebra", "quokka"), start=1):
        hidden(backend, word, revision)
        assert shown() == alone, word
