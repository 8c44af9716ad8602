"""Danish law citations: find them in free text, parse one exactly, and format them.

Handles `SEL § 100`, `servicelovens § 100, stk. 1`, `§ 100 i serviceloven`, `serviceloven §100`,
`Lov om social service § 100`, `sel § 83, stk. 1, nr. 2`, `RSL § 9 c`, `aktivlovens §§ 11-13` and
`§§ 22 og 24 i forvaltningsloven`, in any letter case, by every name a law is known under
(short name, abbreviation, official title, aliases, and their genitive forms). Text that names no
known law yields nothing: the parser never guesses a law.
"""

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_RANGE = 30  # "§§ 11-13" expands to each section; longer ranges keep only their ends
_LETTERS = "a-zæøå"
_WORD = rf"0-9{_LETTERS}"


@dataclass(frozen=True, order=True)
class Reference:
    """One paragraph of one law, optionally down to a subsection (stk.) and an item (nr.)."""

    law: str  # the law's slug
    section: str  # normalised: "100", "9c"
    subsection: int | None = None
    item: int | None = None


@dataclass(frozen=True)
class LawNames:
    slug: str
    abbreviation: str
    short_name: str
    names: tuple[str, ...]  # every name the law is cited by, abbreviation and short name included


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    references: tuple[Reference, ...]


class CitationError(ValueError):
    pass


def normalize_section(raw: str) -> str:
    """`9 c`, `9C`, `9c` → `9c`; `100` → `100`."""
    return re.sub(r"\s+", "", raw).lower()


def split_section(section: str) -> tuple[int, str]:
    """`9c` → (9, "c"): the sort key of a section, numerically and then by letter."""
    match = re.fullmatch(rf"([0-9]+)([{_LETTERS}]*)", section)
    if not match:
        raise CitationError(_("“%(section)s” is not a paragraph number.") % {"section": section})
    return int(match.group(1)), match.group(2)


def display_section(section: str) -> str:
    """`9c` → `§ 9 c`, the Danish way."""
    number, letter = split_section(section)
    return f"§ {number} {letter}" if letter else f"§ {number}"


def format_reference(reference: Reference, law_name: str) -> str:
    """`serviceloven § 100, stk. 1, nr. 2` (or `SEL § 100, …` when given the abbreviation)."""
    text = f"{law_name} {display_section(reference.section)}"
    if reference.subsection is not None:
        text += f", stk. {reference.subsection}"
        if reference.item is not None:
            text += f", nr. {reference.item}"
    return text


@dataclass(frozen=True)
class LineError:
    line: int  # 1-based: the line of a text block, or the item of a list
    text: str
    message: str


@dataclass
class ParsedCitations:
    """A block of citations read: every reference once, in the order cited, and what was wrong."""

    references: list[Reference] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


def parse_citations(lines: str | Iterable[str], parser: "CitationParser | None" = None) -> ParsedCitations:
    """Reads a block of citations, one per line: a text (its line numbers count blank lines, as an
    editor shows them) or a list of lines (numbered by position). Blank lines are skipped; every
    line that is not exactly one citation of a known law is an error that says why. Used wherever
    people type citations: the decisions' admin and import, and the hotline's answers."""
    parser = parser or get_parser()
    result = ParsedCitations()
    found: list[Reference] = []
    for number, line in enumerate(lines.splitlines() if isinstance(lines, str) else lines, start=1):
        if not line.strip():
            continue
        try:
            found.extend(parser.parse(line))
        except CitationError as error:
            result.errors.append(LineError(number, line.strip(), str(error)))
    result.references = list(dict.fromkeys(found))
    return result


def format_citations(references: Iterable[Reference], names: Mapping[str, str] | None = None) -> str:
    """References written back, one per line, by each law's abbreviation (or by `names`, law slug →
    name): the canonical text `parse_citations` reads back to the same references."""
    references = list(references)
    if names is None:
        from decisions.models import Law

        names = dict(
            Law.objects.filter(slug__in={ref.law for ref in references}).values_list("slug", "abbreviation")
        )
    return "\n".join(format_reference(reference, names[reference.law]) for reference in references)


def clean_citations(text: str, *, required: bool = True) -> tuple[str, list[Reference]]:
    """A form's citations field: the canonical text to store and its references, or a
    ValidationError with one message per bad line ("Linje 2: Ukendt lov »SKL« i »SKL § 3«.")."""
    from django.core.exceptions import ValidationError

    parsed = parse_citations(text)
    if parsed.errors:
        raise ValidationError(
            [
                _("Line %(number)s: %(error)s") % {"number": error.line, "error": error.message}
                for error in parsed.errors
            ]
        )
    if required and not parsed.references:
        raise ValidationError(_("Cite at least one paragraph, e.g. “SEL § 100”."))
    return format_citations(parsed.references), parsed.references


def _name_pattern(name: str) -> str:
    words = [re.escape(word) for word in name.split()]
    return r"\s+".join(words)


_SECTION = rf"[0-9]{{1,4}}(?:\s?(?!i\s)[{_LETTERS}](?![{_WORD}]))?"
_SECTIONS = rf"{_SECTION}(?:\s*(?:-|–|,|og|eller|samt)\s*{_SECTION})*"
_DETAIL = r"(?:\s*,?\s*stk\.?\s*(?P<{stk}>[0-9]{{1,3}}))?(?:\s*,?\s*nr\.?\s*(?P<{nr}>[0-9]{{1,3}}))?"
_SIGN = r"(?:§§?|paragraf(?:fen|ferne)?)"


class CitationParser:
    def __init__(self, laws: Iterable[LawNames]) -> None:
        self.laws = {law.slug: law for law in laws}
        self._by_name: dict[str, str] = {}
        for law in self.laws.values():
            for name in {law.abbreviation, law.short_name, *law.names}:
                key = self._key(name)
                self._by_name[key] = law.slug
                if not key.endswith("s"):
                    self._by_name[key + "s"] = law.slug  # genitive: servicelovens, Barnets lovs
        names = sorted(self._by_name, key=len, reverse=True)
        law = r"(?<![{w}])(?P<{g}>{names})(?![{w}])".format(
            w=_WORD, g="{g}", names="|".join(_name_pattern(name) for name in names) or r"(?!x)x"
        )
        before = (
            law.format(g="law1")
            + rf"\s*{_SIGN}\s*(?P<sections1>{_SECTIONS})"
            + _DETAIL.format(stk="stk1", nr="nr1")
        )
        after = (
            rf"{_SIGN}\s*(?P<sections2>{_SECTIONS})"
            + _DETAIL.format(stk="stk2", nr="nr2")
            + r"\s*,?\s*(?:i|efter|jf\.?|ifølge|til)\s+"
            + law.format(g="law2")
        )
        self._regex = re.compile(f"{before}|{after}", re.IGNORECASE)

    @staticmethod
    def _key(name: str) -> str:
        return " ".join(name.lower().split())

    def find(self, text: str) -> list[Found]:
        """Every citation of a known law in `text`, in order."""
        return [
            Found(match.start(), match.end(), self._references(match)) for match in self._regex.finditer(text)
        ]

    def parse(self, text: str) -> list[Reference]:
        """Exactly one citation (possibly of several sections); raises CitationError saying what is wrong."""
        cleaned = " ".join(text.split()).strip(" .")
        match = self._regex.fullmatch(cleaned)
        if match:
            return list(self._references(match))
        raise CitationError(self._diagnose(cleaned))

    def _diagnose(self, text: str) -> str:
        if not text:
            return _("The citation is empty.")
        if not re.search(r"§|paragraf", text, re.IGNORECASE):
            return _("“%(text)s” has no paragraph sign (§) and number.") % {"text": text}
        if not re.search(r"(§§?|paragraf\w*)\s*[0-9]", text, re.IGNORECASE):
            return _("“%(text)s” has no paragraph number after the §.") % {"text": text}
        found = self.find(text)
        if found:
            return _("“%(text)s” holds more than one citation, or text around it; give one per line.") % {
                "text": text
            }
        before = re.split(r"§|paragraf", text, maxsplit=1, flags=re.IGNORECASE)[0].strip(" ,")
        after = re.search(r"\s(?:i|efter|jf\.?|ifølge|til)\s+(.+)$", text, re.IGNORECASE)
        named = before or (after.group(1) if after else "")
        if named:
            return _("Unknown law “%(law)s” in “%(text)s”.") % {"law": named, "text": text}
        return _("“%(text)s” names no law.") % {"text": text}

    def _references(self, match: re.Match) -> tuple[Reference, ...]:
        index = "1" if match.group("law1") else "2"
        slug = self._by_name[self._key(match.group(f"law{index}"))]
        sections = _expand(match.group(f"sections{index}"))
        stk, nr = match.group(f"stk{index}"), match.group(f"nr{index}")
        subsection = int(stk) if stk else None
        item = int(nr) if nr and subsection is not None else None
        references = [Reference(slug, section) for section in sections[:-1]]
        references.append(Reference(slug, sections[-1], subsection, item))  # stk. and nr. belong to the last
        return tuple(references)


def _expand(sections: str) -> list[str]:
    result: list[str] = []
    parts = re.split(r"\s*(-|–|,|og|eller|samt)\s*", sections)
    values, separators = parts[0::2], parts[1::2]
    for index, value in enumerate(values):
        section = normalize_section(value)
        if index and separators[index - 1] in "-–" and result:
            start, end = result[-1], section
            numeric = re.fullmatch(r"[0-9]{1,6}", start) and re.fullmatch(r"[0-9]{1,6}", end)
            if numeric and 0 < int(end) - int(start) <= MAX_RANGE:
                result.extend(str(number) for number in range(int(start) + 1, int(end) + 1))
                continue
        if section not in result:
            result.append(section)
    return result


_cached: tuple[float, CitationParser] | None = None
CACHE_SECONDS = 60


def get_parser() -> CitationParser:
    """The parser for the laws in the database; rebuilt when a law changes, and at least every minute
    (so that other processes see a law added in the admin)."""
    global _cached
    if _cached is None or time.monotonic() - _cached[0] > CACHE_SECONDS:
        from decisions.models import Law

        laws = [
            LawNames(law.slug, law.abbreviation, law.short_name, (law.title, *law.aliases))
            for law in Law.objects.all()
        ]
        _cached = (time.monotonic(), CitationParser(laws))
    return _cached[1]


def forget_parser(**_kwargs) -> None:
    global _cached
    _cached = None
