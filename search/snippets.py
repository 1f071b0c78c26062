"""Highlight snippets for the embedded engine: title and description only.

tantivy's snippet generator picks the best fragment of a field by weighting each
query word by 1 / (1 + its document frequency over the whole index), hidden
entries included, so they could choose which part of a long description a caller
is shown. The generator is given the whole field instead, and :func:`_window`
picks the part to show from the hit's own text and the query alone
(docs/security.md, "Ranking and hidden entries").
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import tantivy

from search.documents import LANGUAGES

#: The summary text groups: the only ones a snippet is ever taken from.
SUMMARY_GROUPS = ("title", "description")
#: Characters of a snippet.
SNIPPET_CHARS = 200
#: More than any field holds: the generator returns the whole field as one fragment.
WHOLE_FIELD = 1_000_000


class Highlighter:
    """Snippets from the summary fields (title, description) only."""

    def __init__(
        self, searcher: tantivy.Searcher, schema: tantivy.Schema, query: tantivy.Query, lang: str | None
    ) -> None:
        self.order = ((lang,) if lang in LANGUAGES else ()) + tuple(lg for lg in LANGUAGES if lg != lang)
        self.searcher, self.schema, self.query = searcher, schema, query
        self.generators: dict[str, tantivy.SnippetGenerator] = {}

    def _generator(self, field: str) -> tantivy.SnippetGenerator:
        # Created on first use: most hits have two of the four languages.
        gen = self.generators.get(field)
        if gen is None:
            gen = tantivy.SnippetGenerator.create(self.searcher, self.query, self.schema, field)
            # The whole field as one fragment: tantivy would pick among 200-character
            # fragments by weighting words with their document frequency over the whole
            # index (hidden entries too); _mark picks the window from the hit alone.
            gen.set_max_num_chars(WHOLE_FIELD)
            self.generators[field] = gen
        return gen

    def highlights(self, doc: tantivy.Document) -> dict[str, str]:
        out: dict[str, str] = {}
        for group in SUMMARY_GROUPS:
            for lg in self.order:
                field = f"{group}_{lg}"
                if not doc.get_first(field):
                    continue  # nothing to highlight in an empty field
                snippet = self._generator(field).snippet_from_doc(doc)
                if snippet.highlighted():
                    out[group] = _mark(snippet)
                    break
        return out


def _mark(snippet: tantivy.Snippet) -> str:
    return marked(snippet.fragment(), [(r.start, r.end) for r in snippet.highlighted()])


#: Stand-ins for the marks while the text is escaped in one pass (private-use characters).
_OPEN, _CLOSE = "\ue000", "\ue001"


def marked(text: str, byte_marks: Sequence[tuple[int, int]]) -> str:
    """The window of ``text`` to show (``_window``), HTML-escaped, each highlighted range
    in ``<mark>``. ``byte_marks`` are tantivy's: byte offsets into the UTF-8 text."""
    raw = text.encode("utf-8")
    marks = sorted(byte_marks)
    first, last = _window(raw, marks, SNIPPET_CHARS)
    pieces: list[tuple[str, bool]] = []  # (text, highlighted)
    pos = first
    for start, end in marks:
        if start < first or end > last:
            continue
        pieces += (
            (raw[pos:start].decode("utf-8", "replace"), False),
            (raw[start:end].decode("utf-8", "replace"), True),
        )
        pos = end
    pieces.append((raw[pos:last].decode("utf-8", "replace"), False))
    if _OPEN in text or _CLOSE in text:  # never in catalogue text: then piece by piece
        return "".join(f"<mark>{html.escape(t)}</mark>" if hit else html.escape(t) for t, hit in pieces)
    joined = "".join(f"{_OPEN}{t}{_CLOSE}" if hit else t for t, hit in pieces)
    return html.escape(joined).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _window(raw: bytes, marks: Sequence[tuple[int, int]], size: int) -> tuple[int, int]:
    """The byte range of at most ``size`` characters to show: the one that starts at a
    highlighted word and holds the most distinct highlighted words, the earliest of
    equals. It depends on this text and the query only, never on other documents."""
    if not marks or len(raw.decode("utf-8", "replace")) <= size:
        return 0, len(raw)
    best: tuple[int, int, int] | None = None  # (distinct words, start, end of the last mark)
    for i, (start, _end) in enumerate(marks):
        inside = [(a, b) for a, b in marks[i:] if len(raw[start:b].decode("utf-8", "replace")) <= size]
        distinct = len({raw[a:b].lower() for a, b in inside})
        if best is None or distinct > best[0]:
            best = (distinct, start, inside[-1][1] if inside else _end)
    assert best is not None
    _, start, last_mark = best
    end = start + len(raw[start:].decode("utf-8", "replace")[:size].encode("utf-8"))
    if end < len(raw):  # end at a space after the last mark shown, not inside a word
        space = raw.rfind(b" ", last_mark, end)
        end = space if space >= last_mark else max(last_mark, end)
    return start, end
