from search.query import MAX_CLAUSES, ParsedQuery, Phrase, Prefix, Term, fold, parse


def test_terms_phrases_prefixes_and_exclusions():
    parsed = parse('Inkomst "skatt på inkomst" fast* -moms -"a b"')
    assert parsed.must == (Term("inkomst"), Phrase(("skatt", "på", "inkomst")), Prefix("fast"))
    assert parsed.must_not == (Term("moms"), Phrase(("a", "b")))


def test_engine_syntax_is_plain_text():
    parsed = parse("title:secret AND (x OR y)^5 ~2 keywords_sv:*")
    assert all(isinstance(c, Term | Phrase) for c in parsed.must)
    assert Term("title:secret") in parsed.must  # one word, no field targeting


def test_odd_input_never_fails():
    assert parse("") == ParsedQuery() and parse(None).is_empty
    assert parse('"unterminated').must == (Term("unterminated"),)
    assert parse('- * " ').is_empty
    assert parse("x*").must == (Term("x"),)  # prefixes need two characters
    assert len(parse(" ".join(f"w{i}" for i in range(100))).must) == MAX_CLAUSES


def test_fold():
    assert fold("Lantmäteriet") == "lantmateriet"
    assert fold("Særavgift Høyde Åre") == "saeravgift hoyde are"
    assert Prefix("lantmät").folded == "lantmat"
