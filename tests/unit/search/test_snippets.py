"""The snippet window: chosen from the hit's own text and marks, nothing else."""

from __future__ import annotations

import html

from hypothesis import given, settings
from hypothesis import strategies as st

from search.snippets import SNIPPET_CHARS, _window, marked


def _marks(raw: bytes, *words: bytes) -> list[tuple[int, int]]:
    out = []
    for word in words:
        start = raw.index(word)
        out.append((start, start + len(word)))
    return sorted(out)


def test_short_text_is_shown_whole() -> None:
    raw = "Fastighet och ägare".encode()
    assert _window(raw, _marks(raw, "ägare".encode()), 200) == (0, len(raw))


def test_long_text_starts_at_the_mark_with_most_distinct_words_and_ends_between_words() -> None:
    filler = " ".join(["ord"] * 60)
    raw = f"zebra först {filler} quokka sedan zebra och mer {filler}".encode()
    marks = _marks(raw, b"zebra", b"quokka", b"zebra och")
    marks[-1] = (marks[-1][0], marks[-1][0] + 5)
    start, end = _window(raw, marks, 40)
    shown = raw[start:end].decode()
    assert shown.startswith("quokka sedan zebra") and len(shown) <= 40
    assert not shown.endswith(("or", "o"))  # cut at a space, never inside a word


def test_equal_windows_take_the_earliest() -> None:
    raw = ("zebra " + "ord " * 80 + "zebra " + "ord " * 80).encode()
    first = raw.index(b"zebra")
    second = raw.index(b"zebra", first + 1)
    start, _ = _window(raw, [(first, first + 5), (second, second + 5)], 50)
    assert start == first


def test_multibyte_text_is_cut_at_characters() -> None:
    raw = ("å" * 300 + " gräns " + "ö" * 300).encode()
    mark = raw.index("gräns".encode())
    start, end = _window(raw, [(mark, mark + len("gräns".encode()))], 100)
    assert raw[start:end].decode().startswith("gräns")  # decodes: never inside a character


def _marked_piece_by_piece(raw: bytes, marks: list[tuple[int, int]], size: int) -> str:
    """What a snippet is, said the plain way: the window, each piece escaped on its own."""
    first, last = _window(raw, marks, size)
    parts, pos = [], first
    for start, end in marks:
        if start < first or end > last:
            continue
        parts.append(html.escape(raw[pos:start].decode()))
        parts.append("<mark>" + html.escape(raw[start:end].decode()) + "</mark>")
        pos = end
    parts.append(html.escape(raw[pos:last].decode()))
    return "".join(parts)


WORDS = st.sampled_from(
    ["Fastighet", "ägare", "<b>", "&amp;", '"citat"', "'", "gräns", "ö", "x", "🙂", "\ue000"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=120), st.data())
def test_marked_text_is_the_window_escaped_with_its_marks(words, data):
    text = " ".join(words)
    raw = text.encode()
    starts, pos = [], 0
    for word in words:  # each word's byte range, at character boundaries as tantivy's are
        starts.append((pos, pos + len(word.encode())))
        pos += len(word.encode()) + 1
    chosen = data.draw(st.lists(st.sampled_from(starts), unique=True, max_size=8))
    marks = sorted(chosen)
    assert marked(text, marks) == _marked_piece_by_piece(raw, marks, SNIPPET_CHARS)
