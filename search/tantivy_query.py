"""The embedded engine's queries: the caller's read filter, its words over the text
fields, and which fields it may match in (search/embedded.py runs them).

Each clause is a dis-max over the fields of its group, weighted so that exact
spelling > stemmed > folded > compound, and titles and keywords > descriptions; a
field that matches contributes its weight and nothing else (docs/security.md,
"Ranking and hidden entries"). Prefix clauses bypass tantivy's analysers, so they
are lower-cased and folded here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import tantivy
from tantivy import Occur, Query

from catalogue.machinery.readpath.lru import LRUCache
from search.query import Clause, ParsedQuery, Prefix, Term
from search.tantivy_shape import FIELDS_BY_VIEW, PREFIX_FIELDS, SEP, clean
from security.policy import ReadFilter

DISMAX_TIE = 0.2
#: Clause queries kept per builder: a word's ~35 field queries depend on the word alone.
CLAUSES_KEPT = 4096


class QueryBuilder:
    """Queries over one index's schema, with its analysers."""

    def __init__(self, schema: tantivy.Schema, analyzers: Mapping[str, tantivy.TextAnalyzer]) -> None:
        self.schema = schema
        self.analyzers = analyzers
        self._clauses: LRUCache[tuple[Clause, str], Query] = LRUCache(CLAUSES_KEPT)

    def readable_only(self, searcher: tantivy.Searcher, levels: frozenset[str]) -> list[tuple[Occur, Query]]:
        """Clauses that keep only entries whose classification is in ``levels``
        (those the caller may read whole): classification ∉ the levels present in
        *this searcher's* term dictionary that are not readable. Read from the same
        searcher the query runs on, the list is complete, so excluding it is exact;
        it is smaller than the readable set, and nothing at all when the caller may
        read every level present (a filter over the readable set costs a full pass)."""
        present = {str(term) for term, _count in searcher.terms_with_prefix("classification", "")}
        hidden = sorted(present - levels)
        if not hidden:
            return []
        return [(Occur.MustNot, any_of(self.schema, "classification", hidden))]

    def visible(self, rf: ReadFilter, statuses: Iterable[str] | None = None) -> Query:
        """The policy's read filter, inside the main query (never a post-filter):
        one term set over the ``access`` tokens (see :func:`access_tokens`),
        optionally narrowed to ``statuses`` (the status filter)."""
        terms = visible_access_terms(rf, statuses)
        if not terms:
            return Query.empty_query()
        return any_of(self.schema, "access", terms)

    def build(
        self,
        rf: ReadFilter,
        parsed: ParsedQuery,
        readable_only: Sequence[tuple[Occur, Query]],
        statuses: Iterable[str] | None = None,
    ) -> Query:
        def clause_query(clause: Clause) -> Query:
            # Full fields match only where the caller may read the whole entry.
            return Query.boolean_query(
                [
                    (Occur.Should, self.clause_in(clause, "summary")),
                    (
                        Occur.Should,
                        Query.boolean_query([(Occur.Must, self.clause_in(clause, "full")), *readable_only]),
                    ),
                ]
            )

        parts: list[tuple[Occur, Query]] = [(Occur.Must, self.visible(rf, statuses))]
        for clause in parsed.must:
            parts.append((Occur.Must, clause_query(clause)))
        for clause in parsed.must_not:
            parts.append((Occur.MustNot, clause_query(clause)))
        return Query.boolean_query(parts)

    @staticmethod
    def weighted(match: Query, weight: float) -> Query:
        """A matching field scores its weight alone: no term statistics of other
        documents, so hidden entries cannot move a rank (see search/embedded.py's docstring)."""
        return Query.const_score_query(match, weight)

    def clause_in(self, clause: Clause, view: str) -> Query:
        """``clause`` over the fields of ``view`` (FIELDS_BY_VIEW), built once per word:
        it depends on the clause and the analysers alone, never on the index."""
        key = (clause, view)
        query = self._clauses.get(key)
        if query is None:
            query = self.clause(clause, FIELDS_BY_VIEW[view])
            self._clauses.put(key, query)
        return query

    def clause(self, clause: Clause, fields: Mapping[str, tuple[str, str, float]]) -> Query:
        subqueries: list[Query] = []
        analysed: dict[str, list[str]] = {}  # many fields share an analyser
        for name, (analyser, _kind, weight) in fields.items():
            q: Query | None
            if isinstance(clause, Prefix):
                variant = PREFIX_FIELDS.get(name)
                if variant is None:
                    continue
                value = clause.folded if variant == "fold" else clause.text
                q = Query.phrase_prefix_query(self.schema, name, [value])
            else:
                text = clause.text if isinstance(clause, Term) else " ".join(clause.words)
                tokens = analysed.get(analyser)
                if tokens is None:
                    tokens = analysed[analyser] = self.analyzers[analyser].analyze(text)
                if not tokens:
                    continue
                if len(tokens) == 1:
                    q = Query.term_query(self.schema, name, tokens[0])
                else:
                    words: list[str | tuple[int, str]] = list(tokens)
                    q = Query.phrase_query(self.schema, name, words)
            subqueries.append(self.weighted(q, weight))
        if not subqueries:
            return Query.empty_query()
        return Query.disjunction_max_query(subqueries, tie_breaker=DISMAX_TIE)


def visible_access_terms(rf: ReadFilter, statuses: Iterable[str] | None = None) -> list[str]:
    """The read filter as access tokens: visible ⇔ listing level ∈ levels AND (status
    open OR own agency's entry), AND status ∈ ``statuses`` when given."""
    if rf.matches_nothing:
        return []
    levels = [clean(level) for level in rf.levels]
    wanted = None if statuses is None else {clean(status) for status in statuses}
    open_statuses = {clean(status) for status in rf.open_statuses}
    if wanted is not None:
        open_statuses &= wanted
    terms = [SEP.join(("o", level, status)) for level in levels for status in open_statuses]
    if rf.own_agency is not None:
        own = clean(rf.own_agency)
        if wanted is None:
            terms += [SEP.join(("p", level, own)) for level in levels]
        else:
            terms += [SEP.join(("q", level, status, own)) for level in levels for status in wanted]
    return sorted(terms)


def any_of(schema: tantivy.Schema, field: str, values: Sequence[str]) -> Query:
    """Documents with any of ``values`` in the raw field ``field``, scoring nothing.

    A boolean of term queries, not tantivy's term set query: that one builds a bitset
    over every document of the terms in each segment before the first match (a pass
    costing 0.4-0.9 ms at 10,000 entries, for a filter that holds most of them: the
    read filter's access terms, the hidden classifications), where term postings are
    skipped through from the query's rarest clause. Measured in docs/search.md."""
    terms = [Query.term_query(schema, field, value) for value in values]
    if len(terms) == 1:
        return Query.const_score_query(terms[0], 0.0)
    return Query.const_score_query(Query.boolean_query([(Occur.Should, t) for t in terms]), 0.0)
