"""The snippet window: chosen from the hit's own text and marks, nothing else."""

from __future__ import annotations

from search.snippets import _window


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
