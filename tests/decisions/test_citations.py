import pytest
from hypothesis import given
from hypothesis import strategies as st

from decisions.citations import (
    CitationError,
    CitationParser,
    LawNames,
    LineError,
    Reference,
    display_section,
    format_citations,
    format_reference,
    normalize_section,
    parse_citations,
)

LAWS = [
    LawNames("serviceloven", "SEL", "serviceloven", ("Lov om social service", "servicelov")),
    LawNames("aktivloven", "AKL", "aktivloven", ("Lov om aktiv socialpolitik",)),
    LawNames(
        "retssikkerhedsloven",
        "RSL",
        "retssikkerhedsloven",
        ("Lov om retssikkerhed og administration på det sociale område",),
    ),
    LawNames("sygedagpengeloven", "SDL", "sygedagpengeloven", ("Lov om sygedagpenge",)),
    LawNames(
        "beskaeftigelsesloven", "LAB", "beskæftigelsesloven", ("Lov om en aktiv beskæftigelsesindsats",)
    ),
    LawNames("pensionsloven", "PL", "pensionsloven", ("Lov om social pension",)),
    LawNames("barnets-lov", "BL", "barnets lov", ("Barnets lov",)),
    LawNames("forvaltningsloven", "FVL", "forvaltningsloven", ()),
    LawNames("offentlighedsloven", "OFL", "offentlighedsloven", ("lov om offentlighed i forvaltningen",)),
]
parser = CitationParser(LAWS)


def ref(law: str, section: str, subsection: int | None = None, item: int | None = None) -> Reference:
    return Reference(law, section, subsection, item)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SEL § 100", [ref("serviceloven", "100")]),
        ("servicelovens § 100, stk. 1", [ref("serviceloven", "100", 1)]),
        ("§ 100 i serviceloven", [ref("serviceloven", "100")]),
        ("serviceloven §100", [ref("serviceloven", "100")]),
        ("Lov om social service § 100", [ref("serviceloven", "100")]),
        ("lov om social services § 100", [ref("serviceloven", "100")]),
        ("sel § 83, stk. 1, nr. 2", [ref("serviceloven", "83", 1, 2)]),
        ("SEL § 83 stk. 1 nr. 2", [ref("serviceloven", "83", 1, 2)]),
        ("RSL § 9 c", [ref("retssikkerhedsloven", "9c")]),
        ("RSL § 9c", [ref("retssikkerhedsloven", "9c")]),
        ("rsl § 9 C, stk. 2", [ref("retssikkerhedsloven", "9c", 2)]),
        ("aktivlovens §§ 11-13", [ref("aktivloven", "11"), ref("aktivloven", "12"), ref("aktivloven", "13")]),
        ("§§ 22 og 24 i forvaltningsloven", [ref("forvaltningsloven", "22"), ref("forvaltningsloven", "24")]),
        (
            "§§ 11, 12 og 14 i aktivloven",
            [ref("aktivloven", "11"), ref("aktivloven", "12"), ref("aktivloven", "14")],
        ),
        ("§ 100, stk. 2, i serviceloven", [ref("serviceloven", "100", 2)]),
        ("§ 9 c i retssikkerhedsloven", [ref("retssikkerhedsloven", "9c")]),
        ("retssikkerhedslovens § 5", [ref("retssikkerhedsloven", "5")]),
        ("Barnets lov § 32", [ref("barnets-lov", "32")]),
        ("barnets lovs § 47, stk. 1", [ref("barnets-lov", "47", 1)]),
        ("BL § 86", [ref("barnets-lov", "86")]),
        ("beskæftigelseslovens § 99", [ref("beskaeftigelsesloven", "99")]),
        ("LAB § 16", [ref("beskaeftigelsesloven", "16")]),
        ("pensionslovens § 18", [ref("pensionsloven", "18")]),
        ("Lov om social pension § 16", [ref("pensionsloven", "16")]),
        ("SDL § 7", [ref("sygedagpengeloven", "7")]),
        ("sygedagpengelovens § 24, stk. 1, nr. 3", [ref("sygedagpengeloven", "24", 1, 3)]),
        ("FVL § 19", [ref("forvaltningsloven", "19")]),
        ("OFL § 7", [ref("offentlighedsloven", "7")]),
        ("§ 7 i lov om offentlighed i forvaltningen", [ref("offentlighedsloven", "7")]),
        ("AKL paragraf 34", [ref("aktivloven", "34")]),
        ("  SEL   §   100 . ", [ref("serviceloven", "100")]),
    ],
)
def test_a_citation_is_parsed_into_its_references(text, expected):
    assert parser.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("XYZ § 100", "Ukendt lov »XYZ« i »XYZ § 100«."),
        ("§ 100 i skatteloven", "Ukendt lov »skatteloven«"),
        ("§ 9c", "nævner ingen lov"),
        ("serviceloven", "mangler paragraftegn"),
        ("SEL §", "mangler et paragrafnummer"),
        ("", "tom"),
        ("SEL § 100 og RSL § 9 c", "mere end én henvisning"),
    ],
)
def test_a_bad_citation_says_what_is_wrong(text, message):
    with pytest.raises(CitationError, match=message):
        parser.parse(text)


def test_citations_are_found_in_running_text_and_nothing_is_guessed():
    text = (
        "Efter servicelovens § 100, stk. 1, og § 9 c i retssikkerhedsloven samt SEL §§ 83-85 skal kommunen "
        "vurdere sagen. Skattelovens § 3 og en løs § 12 hører ikke hertil, og det gør et segl ikke heller."
    )

    found = [reference for citation in parser.find(text) for reference in citation.references]

    assert found == [
        ref("serviceloven", "100", 1),
        ref("retssikkerhedsloven", "9c"),
        ref("serviceloven", "83"),
        ref("serviceloven", "84"),
        ref("serviceloven", "85"),
    ]


def test_a_word_that_merely_contains_a_law_name_is_not_a_citation():
    assert parser.find("Selskabets § 3 og blsk § 4") == []


def test_long_ranges_keep_only_their_ends():
    assert parser.parse("SEL §§ 1-200") == [ref("serviceloven", "1"), ref("serviceloven", "200")]


@pytest.mark.parametrize(
    ("raw", "normal", "shown"), [("9 c", "9c", "§ 9 c"), ("100", "100", "§ 100"), ("9C", "9c", "§ 9 c")]
)
def test_sections_are_kept_normalized_and_shown_the_danish_way(raw, normal, shown):
    assert normalize_section(raw) == normal
    assert display_section(normal) == shown


references = st.builds(
    Reference,
    law=st.sampled_from([law.slug for law in LAWS]),
    section=st.builds(
        lambda number, letter: f"{number}{letter}",
        st.integers(min_value=1, max_value=9999),
        st.sampled_from(["", "a", "b", "c", "d", "e", "f"]),
    ),
    subsection=st.none() | st.integers(min_value=1, max_value=99),
    item=st.none() | st.integers(min_value=1, max_value=99),
).map(lambda r: r if r.subsection is not None else Reference(r.law, r.section))


@given(reference=references, style=st.sampled_from(["abbreviation", "short_name", "title"]))
def test_formatting_then_parsing_gives_back_the_same_reference(reference, style):
    law = next(law for law in LAWS if law.slug == reference.law)
    name = {
        "abbreviation": law.abbreviation,
        "short_name": law.short_name,
        "title": (law.names or (law.short_name,))[0],
    }[style]

    assert parser.parse(format_reference(reference, name)) == [reference]


@pytest.mark.parametrize("text", ["SEL § ٣", "SEL § ３", "SEL § 100, stk. ٢", "aktivlovens §§ ١١-١٣"])
def test_only_ascii_digits_make_a_paragraph_number(text):
    with pytest.raises(CitationError):
        parser.parse(text)


def test_a_block_of_citations_gives_every_reference_once_and_an_error_per_bad_line():
    text = "SEL § 100, stk. 1\n\nSKL § 3\nAKL §§ 11-12\nserviceloven § 100, stk. 1\nSEL\n"

    parsed = parse_citations(text, parser)

    assert parsed.references == [
        Reference("serviceloven", "100", 1),
        Reference("aktivloven", "11"),
        Reference("aktivloven", "12"),
    ]
    # Lines are counted as an editor shows them: the blank line 2 counts.
    assert [(error.line, error.text) for error in parsed.errors] == [(3, "SKL § 3"), (6, "SEL")]
    assert parsed.errors[0] == LineError(3, "SKL § 3", "Ukendt lov »SKL« i »SKL § 3«.")
    assert "mangler paragraftegn" in parsed.errors[1].message


def test_a_list_of_citations_is_numbered_by_position():
    parsed = parse_citations(["SEL § 100", "  ", "XYZ § 1"], parser)

    assert parsed.references == [Reference("serviceloven", "100")]
    assert [(error.line, error.text) for error in parsed.errors] == [(3, "XYZ § 1")]


def test_formatted_citations_read_back_to_the_same_references():
    references = [Reference("serviceloven", "100", 1, 2), Reference("retssikkerhedsloven", "9c")]
    names = {law.slug: law.abbreviation for law in LAWS}

    text = format_citations(references, names)

    assert text == "SEL § 100, stk. 1, nr. 2\nRSL § 9 c"
    assert parse_citations(text, parser).references == references
