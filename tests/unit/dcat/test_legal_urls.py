"""Statute URLs read as legal references (dcat.harvest.legal_urls)."""

from __future__ import annotations

import pytest

from dcat.harvest.legal_urls import RecognisedReference, recognise


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # The example: folkeregisterloven (LOV-2016-12-09-88), § 1-1.
        (
            "https://lovdata.no/NL/lov/2016-12-09-88/§1-1",
            RecognisedReference("NO", "LOV-2016-12-09-88", "§ 1-1"),
        ),
        (
            "https://lovdata.no/dokument/NL/lov/2016-12-09-88/%C2%A71-1",
            RecognisedReference("NO", "LOV-2016-12-09-88", "§ 1-1"),
        ),
        ("https://lovdata.no/lov/2006-05-19-16", RecognisedReference("NO", "LOV-2006-05-19-16")),
        (
            "https://lovdata.no/dokument/SF/forskrift/2010-03-26-488",
            RecognisedReference("NO", "FOR-2010-03-26-488"),
        ),
        (
            "https://lovdata.no/dokument/NL/lov/2006-05-19-16#§13",
            RecognisedReference("NO", "LOV-2006-05-19-16", "§ 13"),
        ),
        # Lovdata's ELI, as the export writes it (dcat.vocabulary.eli_uri).
        ("https://lovdata.no/eli/lov/2016/12/09/88", RecognisedReference("NO", "LOV-2016-12-09-88")),
        # Offentlighets- och sekretesslagen (2009:400) at riksdagen.se, and 22 kap. 1 §.
        (
            "https://www.riksdagen.se/sv/dokument-och-lagar/dokument/svensk-forfattningssamling/"
            "offentlighets--och-sekretesslag-2009400_sfs-2009-400/",
            RecognisedReference("SE", "2009:400"),
        ),
        (
            "https://www.riksdagen.se/sv/dokument-och-lagar/dokument/svensk-forfattningssamling/"
            "offentlighets--och-sekretesslag-2009400_sfs-2009-400/#K22P1",
            RecognisedReference("SE", "2009:400", "22 kap. 1 §"),
        ),
        # Tillit's own link for an SFS number (catalogue.legal.reference_url).
        ("https://rkrattsbaser.gov.se/sfst?bet=2009:400", RecognisedReference("SE", "2009:400")),
        # The GDPR at EUR-Lex and by ELI, with an article.
        (
            "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32016R0679",
            RecognisedReference("EU", "32016R0679"),
        ),
        ("http://data.europa.eu/eli/reg/2016/679/oj", RecognisedReference("EU", "32016R0679")),
        (
            "http://data.europa.eu/eli/reg/2016/679/art_6/par_1/pnt_e/oj",
            RecognisedReference("EU", "32016R0679", "Art. 6(1)(e)"),
        ),
        # DPV's GDPR concept for Art. 6(1)(e), as the export writes dpv:hasLegalBasis.
        (
            "https://w3id.org/dpv/legal/eu/gdpr#A6-1-e",
            RecognisedReference("EU", "32016R0679", "Art. 6(1)(e)"),
        ),
        # The high-value datasets implementing regulation (EU) 2023/138.
        ("http://data.europa.eu/eli/reg_impl/2023/138/oj", RecognisedReference("EU", "32023R0138")),
    ],
)
def test_statute_urls_become_references(url: str, expected: RecognisedReference) -> None:
    assert recognise(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/lov/2016-12-09-88",
        "https://lovdata.no/",
        "https://lovdata.no/NL/lov/2016-13-45-88",  # no such date
        "https://www.riksdagen.se/sv/",
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=OJ:L:2016:119:TOC",
        "not a url",
        "https://lovdata.no/NL/lov/2016-12-09-88/" + "x" * 2000,
    ],
)
def test_what_is_not_a_statute_url_is_none(url: str) -> None:
    assert recognise(url) is None


def test_a_provision_in_no_known_form_keeps_the_statute_and_says_so() -> None:
    found = recognise("https://lovdata.no/NL/lov/2016-12-09-88/kapittel-ni")
    assert found is not None
    assert (found.jurisdiction, found.reference, found.provision) == ("NO", "LOV-2016-12-09-88", None)
    assert found.note is not None and "not in a known form" in found.note
