"""Search over principle decisions: PostgreSQL full text with the `danish` configuration.

A query may hold a law citation (it limits the results to that paragraph), be a decision number
(it goes straight to the decision), and otherwise uses websearch syntax ("quoted phrase", or,
-word). Results rank by relevance, with decisions in force ahead of partly changed and of
historic ones at similar relevance; snippets are computed only for the rows on the page shown.
"""

import math
import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.paginator import Page
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Max,
    Min,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Concat, ExtractYear
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from decisions import danish, vocabulary
from decisions.citations import CitationError, Reference, get_parser
from decisions.models import (
    NO_DECISIONS,
    NUMBER_PATTERN,
    Area,
    Decision,
    Law,
    Paragraph,
    ParagraphReference,
    Status,
    add_list_relations,
    cached_count,
    paragraph_counts,
)
from portal.guard import parse_int
from portal.pagination import page_of

PAGE_SIZE = 20
CAP = 200
PARAGRAPH_FACETS = 10
MAX_QUERY = 500
SORTS = ("relevance", "newest", "oldest")
FILTER_PARAMS = ("area", "law", "paragraph", "status", "year_from", "year_to")
# Multiplies relevance, so that at similar relevance a decision in force comes first.
RARE = 3  # a word in fewer decisions than this is also tried as a prefix and as parts
STATUS_WEIGHT = Case(
    When(status=Status.IN_FORCE, then=Value(1.0)),
    When(status=Status.PARTLY_CHANGED, then=Value(0.9)),
    default=Value(0.75),
    output_field=FloatField(),
)


@dataclass(frozen=True)
class Corpus:
    """What the engine searches: decisions, or another kind of document with a weighted
    `search_vector`, paragraph `references`, a `citing()` queryset method, a stored rank (its
    documents in use first) and a date."""

    model: type
    rank: str  # stored: 0 for documents in use, higher for those less so
    date: str
    weight: Case  # multiplies relevance, so that at similar relevance documents in use come first

    def in_use_first(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by(self.rank, f"-{self.date}", "-pk")


DECISIONS = Corpus(Decision, "status_rank", "decided_on", STATUS_WEIGHT)
_START, _STOP = "\x02", "\x03"  # stand-ins for <mark>, so the snippet can be escaped safely


def clean_query(raw: str) -> str:
    """What we search for: no NUL bytes or control characters, single spaces, at most 500 characters."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", raw or "")
    return " ".join(text.split())[:MAX_QUERY]


@dataclass
class Filters:
    area: str = ""
    law: str = ""
    paragraph: str = ""  # "serviceloven-100"
    status: str = ""
    year_from: int | None = None
    year_to: int | None = None
    include_historic: bool = False
    sort: str = "relevance"

    @classmethod
    def from_params(cls, params) -> "Filters":
        def year(name: str) -> int | None:  # a year that is not one is no filter
            return parse_int(params.get(name, ""), minimum=1900, maximum=2100)

        sort = params.get("sort", "relevance")
        status = params.get("status", "")
        return cls(
            area=params.get("area", "").strip()[:50],
            law=params.get("law", "").strip()[:50],
            paragraph=params.get("paragraph", "").strip()[:60],
            status=status if status in Status.values else "",
            year_from=year("year_from"),
            year_to=year("year_to"),
            include_historic=params.get("include_historic", "") in ("1", "true", "on")
            or status == Status.NO_LONGER_IN_FORCE,
            sort=sort if sort in SORTS else "relevance",
        )


@dataclass
class Facet:
    value: str
    label: str
    count: int | None  # None when the results were too many to count
    selected: bool


@dataclass
class Results:
    query: str
    filters: Filters
    page: Page
    facets: dict[str, list[Facet]] = field(default_factory=dict)
    paragraphs: list[tuple[Paragraph, int]] = field(default_factory=list)  # "Go to serviceloven § 100"
    redirect_to: str = ""
    corrected_from: str = ""  # nothing matched the query as typed; these are the results for `query`
    any_word: bool = False  # the best decision lacks some of the words; these have some of them
    unknown_law: str = ""  # the query cites a law we do not know: why it was not understood
    capped: bool = False  # more than CAP decisions matched; the CAP newest in force are shown


OPERATORS = re.compile(r'"|(^|\s)-\S|(^|\s)or(\s|$)', re.IGNORECASE)


# Words that ask rather than say what is asked about: they never narrow or rank a search.
# (PostgreSQL's Danish stop words, "og", "i", "at" …, are dropped by the text search itself.)
FILLER_WORDS = """
    hvornår hvordan hvorfor hvilke hvilken hvilket hvem hvad hvor hvis hvorvidt kan kunne skal
    skulle må måtte får få fik fået have har havde ret man jeg vi du de den det der en et og i på
    til for med om af at er var være blive bliver blev når som også eller men så sig sin sit sine
    min mit mine jeres vores hans hendes deres nogen noget nogle mere meget gælder gælde regler
    reglerne betaler betale betales spørgsmål nogensinde egentlig altid stadig lige bare gør gøre
    gjort sker ske se tager tage går gå står stå siger sige ved vide bør burde nødt muligt ikke
    han mig nu over da fra ud dem os op selv her alle vil ind dog ville jo efter ned denne end dette
    under dig anden hende alt vor mod disse din hos mange ad været thi jer sådan
"""
FILLER = frozenset(FILLER_WORDS.split())


@dataclass
class Group:
    """One thing the reader asks about: a word or a synonym phrase, with everything that means it."""

    text: str
    query: SearchQuery  # the words, their synonyms, spellings and compounds
    literal: SearchQuery  # the words as typed
    title: SearchQuery | None  # the words or their synonyms in a title or keyword
    weight: float  # rarer is weightier
    frequency: int  # about how many decisions match `query`


@dataclass
class TextQuery:
    """The words of a query as groups, one per thing asked about. A decision is ranked by how many
    of the groups it matches, each weighted by its rarity, so that the best decision is found even
    when it lacks one of the reader's words (it says that thing differently). Written with search
    syntax ("phrase", or, -word), the query is taken as written and every part is required."""

    groups: list[Group]
    selection: SearchQuery  # what a decision must match to be ranked at all
    widened: SearchQuery  # any group: for the snippets
    strict: bool = False
    narrow: bool = True  # the selection is narrow enough to rank every decision it selects


def _plain(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="phrase" if " " in text else "plain", config="danish")


def _raw(lexeme: str) -> SearchQuery:
    return SearchQuery(f"'{lexeme}'", search_type="raw", config="danish")


def _any(queries: list[SearchQuery]) -> SearchQuery:
    combined = queries[0]
    for query in queries[1:]:
        combined |= query
    return combined


def _all(queries: list[SearchQuery]) -> SearchQuery:
    combined = queries[0]
    for query in queries[1:]:
        combined &= query
    return combined


LEXEME = re.compile(r"[a-zæøåéü]+")


def _frequency(text: str, lexemes: dict[str, int]) -> int:
    """About how many decisions contain a word or phrase: a phrase, its rarest word."""
    words = [vocabulary.stem(word) for word in vocabulary.WORD.findall(text) if word not in FILLER]
    return min((lexemes.get(word, 0) for word in words), default=0)


def build_text_query(words: str) -> TextQuery | None:
    if not words:
        return None
    if OPERATORS.search(words) or not vocabulary.WORD.search(words.lower()):
        # The user writes websearch syntax: take it as written, every part required.
        query = SearchQuery(words, search_type="websearch", config="danish")
        return TextQuery([Group(words, query, query, None, 1.0, 0)], query, query, strict=True)
    tokens = vocabulary.WORD.findall(words.lower())
    known_synonyms = vocabulary.synonyms()
    lexemes = vocabulary.lexemes()
    total = max(len_published(), 1)
    groups: dict[str, Group] = {}
    in_phrase: set[str] = set()
    for index in range(len(tokens)):
        for size in (4, 3, 2):  # synonym phrases, the longest first: "tabt arbejdsfortjeneste"
            phrase = " ".join(tokens[index : index + size])
            if len(tokens) - index >= size and vocabulary.stem_phrase(phrase) in known_synonyms:
                # The phrase is one thing asked about, as are its words: a decision that says the
                # phrase or what it means gets the words' weight; one with just the words, half.
                others = sorted(known_synonyms[vocabulary.stem_phrase(phrase)] - {phrase})
                frequency = min(max(_frequency(text, lexemes) for text in [phrase, *others]), total)
                alternatives = [_plain(phrase), *map(_plain, others)]
                groups.setdefault(phrase, _group(phrase, alternatives, [phrase, *others], frequency, total))
                in_phrase.update(tokens[index : index + size])
                break
    for word in dict.fromkeys(tokens):  # a word said twice counts once
        if word in FILLER or len(word) < 2 or word in groups:
            continue
        base = danish.lemma(word)
        others = set(known_synonyms.get(vocabulary.stem(word), ()))
        if base and base != word:  # "kørestole", "nedsat": the word's base form and its synonyms
            others |= {base} | known_synonyms.get(vocabulary.stem(base), set())
        others = sorted(others - {word})
        variants, variant_frequency = _word_variants(word, lexemes, base)
        frequency = max(_frequency(text, lexemes) for text in [word, *others])
        frequency = min(max(frequency, variant_frequency), total)
        alternatives = [_plain(word), *map(_plain, others), *variants]
        group = _group(word, alternatives, [word, *others], frequency, total)
        if word in in_phrase:
            group.weight /= 2
        groups[word] = group
    if not groups:  # nothing but question words
        return None
    found = list(groups.values())
    widened = _any([group.query for group in found])
    # Decisions are chosen by the groups that narrow the search: with a word most decisions
    # contain ("kommunen"), ranking every one of them would be slow and tell nothing.
    narrowing = [group.query for group in found if group.frequency <= max(SELECTIVE, total * 0.05)]
    selection = _any(narrowing) if narrowing else _all([group.query for group in found])
    return TextQuery(found, selection, widened, narrow=bool(narrowing))


def _group(text: str, alternatives: list[SearchQuery], said: list[str], frequency: int, total: int) -> Group:
    """A group; the rarer what it matches, the weightier (BM25's idf)."""
    weight = _idf(frequency, total)
    return Group(text, _any(alternatives), _plain(text), _in_titles(said), weight, frequency)


def _idf(frequency: int, total: int) -> float:
    """How much matching a group tells: BM25's idf, nothing for what half the decisions say, and
    its square root, so that one rare word (said once, perhaps in passing) does not outweigh two
    words that say what the decision is about."""
    return math.sqrt(max(0.0025, math.log((total - frequency + 0.5) / (frequency + 0.5))))


def _in_titles(texts: list[str]) -> SearchQuery | None:
    """The words or phrases said in a decision's number, title, citations or keywords (the
    vector's weight A): where a decision says what it is about."""
    parts = []
    for text in texts:
        words = [word for part in vocabulary.WORD.findall(text) for word in part.split("-")]
        if words:
            parts.append("(" + " <-> ".join(f"{word}:A" for word in words) + ")")
    return SearchQuery(" | ".join(parts), search_type="raw", config="danish") if parts else None


SELECTIVE = 2000
BROAD = 400  # how many decisions a query of common words ranks: the newest in force


def len_published() -> int:
    return cached_count("published", Decision.objects.published())


def _word_variants(word: str, lexemes: dict[str, int], base: str | None) -> tuple[list[SearchQuery], int]:
    """Other forms of one word, and about how many decisions the most common of them is in:
    without its hyphen; the noun of a verb (nedsætte → nedsættelse, vurdere → vurdering); the
    corpus's compounds that contain it (kræft → lungekræft: as if the documents' compounds were
    split); and, when the corpus barely knows the word whole, as a prefix (merudgift →
    merudgiftsydelse) and split into its parts, each also within the corpus's compounds
    (støvsugerrobot → støvsuger and robot, found in robotstøvsuger)."""
    variants: list[SearchQuery] = []
    if "-" in word:
        variants.append(_plain(word.replace("-", "")))
        return variants, lexemes.get(vocabulary.stem(word.replace("-", "")), 0)
    frequencies = [0]
    if base and base.endswith("e"):
        for noun in (base + "lse", base[:-1] + "ing"):
            if (found := lexemes.get(vocabulary.stem(noun), 0)) >= 1:
                variants.append(_plain(noun))
                frequencies.append(found)
    compounds = _compounds(word)
    variants += [_raw(lexeme) for lexeme in compounds]
    frequencies += [lexemes.get(lexeme, 0) for lexeme in compounds]
    if len(word) >= 6 and lexemes.get(vocabulary.stem(word), 0) < RARE:
        variants.append(SearchQuery(f"{vocabulary.stem(word)}:*", search_type="raw", config="danish"))
        parts = vocabulary.compound_parts(word)
        if parts:
            variants.append(_all([_any([_plain(part), *map(_raw, _compounds(part))]) for part in parts]))
            frequencies.append(min(lexemes.get(vocabulary.stem(part), 0) for part in parts))
        elif head := vocabulary.compound_head(word):
            head_compounds = _compounds(head)
            variants.append(_any([_plain(head), *map(_raw, head_compounds)]))
            frequencies += [
                lexemes.get(vocabulary.stem(head), 0),
                *(lexemes.get(c, 0) for c in head_compounds),
            ]
    return variants, max(frequencies)


def _compounds(word: str) -> list[str]:
    return [lexeme for lexeme in vocabulary.compounds_with(word) if LEXEME.fullmatch(lexeme)]


def _paragraph_ids(references: list[Reference]) -> list[int]:
    return list(Paragraph.objects.matching(references).values_list("pk", flat=True))


def _filtered(queryset: QuerySet, filters: Filters) -> QuerySet:
    if filters.area:
        queryset = queryset.filter(area__slug=filters.area)
    if filters.law:
        queryset = queryset.citing(law=filters.law)
    if filters.paragraph:
        law, _, section = filters.paragraph.rpartition("-")
        paragraph_ids = list(
            Paragraph.objects.filter(law__slug=law, section=section.lower()).values_list("pk", flat=True)
        )
        queryset = queryset.citing(paragraph_ids)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    elif not filters.include_historic:
        queryset = queryset.exclude(status=Status.NO_LONGER_IN_FORCE)
    if filters.year_from:
        queryset = queryset.filter(decided_on__year__gte=filters.year_from)
    if filters.year_to:
        queryset = queryset.filter(decided_on__year__lte=filters.year_to)
    return queryset


def search(raw_query: str, filters: Filters, page_number: str | None = None) -> Results:
    """Runs one search: the page of results, facet counts and, for a citation, the paragraph.
    A word no decision contains and Danish does not know is taken as mistyped: the search runs
    with the nearest word the decisions use, and says so."""
    query = clean_query(raw_query)
    corrected = _corrected(query)
    if corrected:
        results = _search(corrected, filters, page_number)
        if results.page.paginator.count or results.redirect_to:
            results.corrected_from = query
            return results
    return _search(query, filters, page_number)


def _corrected(query: str) -> str:
    """The query with each word the corpus does not know replaced by the nearest word it does."""
    changed = False

    def fix(match: re.Match) -> str:
        nonlocal changed
        better = vocabulary.correction(match.group(0).lower())
        changed = changed or better is not None
        return better or match.group(0)

    if OPERATORS.search(query) or re.fullmatch(NUMBER_PATTERN, query):
        return ""
    parser = get_parser()
    query = _with_paragraph_signs(query, parser)
    found = parser.find(query)
    text, position = "", 0
    for citation in found:  # citations are not words to correct
        text += vocabulary.WORD.sub(fix, query[position : citation.start].lower())
        text += query[citation.start : citation.end]
        position = citation.end
    text += vocabulary.WORD.sub(fix, query[position:].lower())
    return text if changed else ""


def _search(query: str, filters: Filters, page_number: str | None) -> Results:
    if re.fullmatch(NUMBER_PATTERN, query):
        # Numbers are stored with upper-case letters (C-16-99): the unique index finds either form.
        decision = Decision.objects.published().filter(number__in={query, query.upper()}).first()
        if decision:
            return Results(
                query, filters, page_of([], None, PAGE_SIZE), redirect_to=decision.get_absolute_url()
            )

    matched = _matching(query, Decision.objects.published())
    text_query = matched.text_query
    matching = _filtered(matched.queryset, filters)
    # Matching and ranking run once, for the decisions the query selects; at most CAP + 1 of the
    # best are kept, and counting, the page and facets work on those ids. A query that matches
    # most of the collection ("kommune") thereby shows the CAP best, says "more than", and facets
    # name their values without counts.
    ranked = _ranked(matching, text_query, matched.references, limit=CAP + 1)
    capped = len(ranked) > CAP
    ids = ranked[:CAP]
    page = _page_of(_sorted(ids, filters.sort), page_number)
    _add_snippets(page, text_query.widened if text_query else None)

    results = Results(query, filters, page, capped=capped)
    if text_query and not text_query.strict and ranked:
        every = [group.query for group in text_query.groups if group.frequency]
        # No decision has every word asked about (the index alone answers).
        results.any_word = len(every) > 1 and not matching.filter(search_vector=_all(every)).exists()
    found, paragraph_ids = matched.found, matched.paragraph_ids
    if found and not matched.words:
        counts = paragraph_counts()  # cached; the same figures as the paragraph page
        results.paragraphs = [
            (paragraph, counts.get(paragraph.pk, NO_DECISIONS).applying)
            for paragraph in Paragraph.objects.filter(pk__in=paragraph_ids).select_related("law")
        ]
    results.unknown_law = matched.unknown_law
    if query or _any_filter(filters):
        results.facets = _facet_values(filters) if capped else _facets(ids, filters)
    return results


@dataclass
class Matched:
    queryset: QuerySet
    text_query: TextQuery | None
    found: list  # the citations in the query
    paragraph_ids: list[int]
    words: str  # the query without its citations
    unknown_law: str = ""  # "SKL § 3": a citation of a law we do not know
    references: list[Reference] = field(default_factory=list)


# "SKL § 3", "skl § 3", "lejeloven § 11": what reads as a law cited by a paragraph; "efter § 100" does not.
UNKNOWN_CITATION = re.compile(r"(?P<law>[A-Za-zÆØÅæøå]{2,}(?:lov(?:en|ens|s)?)?)\s*§\s*[0-9]{1,4}")


def _unknown_law(words: str, parser) -> str:
    """Why a citation in the words was not understood, when they cite a law we do not know."""
    for cited in UNKNOWN_CITATION.finditer(words):
        name = cited.group("law")
        looks_like_law = name.isupper() or "lov" in name.lower() or not danish.is_word(name.lower())
        if looks_like_law and len(name) <= 40:
            try:
                parser.parse(cited.group(0))
            except CitationError as error:
                return str(error)
    return ""


def _matching(query: str, base: QuerySet) -> Matched:
    """`base` narrowed to the decisions that match: the paragraphs the query cites, then its words."""
    parser = get_parser()
    found, words = split_citations(query, parser)
    references = [reference for citation in found for reference in citation.references]
    unknown = _unknown_law(words, parser)

    paragraph_ids = _paragraph_ids(references)
    if found:
        base = base.citing(paragraph_ids)
    text_query = build_text_query(words)
    if text_query is not None:
        base = base.filter(search_vector=text_query.selection)
    return Matched(base, text_query, found, paragraph_ids, words, unknown, references)


def split_citations(query: str, parser=None) -> tuple[list, str]:
    """The citations in a query, and its words without them."""
    parser = parser or get_parser()
    query = _with_paragraph_signs(query, parser)
    found = parser.find(query)
    words = query
    for citation in reversed(found):
        words = words[: citation.start] + " " + words[citation.end :]
    return found, " ".join(words.split()).strip(" ,.")


def _score(text_query: TextQuery):
    """Relevance: the rarity-weighted share of the reader's groups a decision matches, a little
    more where it says them in the reader's own words or in its title and keywords, and
    PostgreSQL's rank to order decisions that match the same groups."""
    groups = text_query.groups
    total = sum(group.weight for group in groups) or 1.0
    weights = [_if(group.query, group.weight / total) for group in groups]
    weights += [_if(group.literal, group.weight / total * LITERAL_BONUS) for group in groups]
    weights += [_if(group.title, group.weight / total * TITLE_BONUS) for group in groups if group.title]
    rank = SearchRank(F("search_vector"), text_query.widened, normalization=Value(1))
    return sum(weights[1:], weights[0]) + Value(RANK_WEIGHT) * rank


def _if(query: SearchQuery, value: float) -> Case:
    return Case(When(search_vector=query, then=Value(value)), default=Value(value * 0))


LITERAL_BONUS = 0.2
TITLE_BONUS = 0.3
RANK_WEIGHT = 0.5


def _ranked(
    matching: QuerySet,
    text_query: TextQuery | None,
    references: list[Reference] = (),
    limit: int = CAP,
    corpus: Corpus = DECISIONS,
) -> list[int]:
    """The ids of the matching decisions, the most relevant first, at most `limit`. For a citation
    alone, the decisions in force that are about the paragraph first: that cite the very subsection
    asked for, and that cite it first."""
    if text_query is None and references:
        return _cited_first(matching, references, limit, corpus)
    if text_query is None:
        return list(corpus.in_use_first(matching).values_list("pk", flat=True)[:limit])
    if text_query.narrow and not text_query.strict:
        matching = corpus.model.objects.filter(pk__in=_shortlist(matching, text_query))
    else:
        # Words most decisions contain ("kommunen afgørelse"), or search syntax: rank the newest
        # in force that match, rather than every decision in the collection.
        matching = corpus.model.objects.filter(
            pk__in=list(corpus.in_use_first(matching).values_list("pk", flat=True)[:BROAD])
        )
    score = _score(text_query)
    ordered = matching.annotate(score=score * corpus.weight).order_by(
        "-score", corpus.rank, f"-{corpus.date}", "-pk"
    )
    return list(ordered.values_list("pk", flat=True)[:limit])


SHORTLIST = CAP + 1  # enough for the page's count to be exact up to CAP


def _shortlist(matching: QuerySet, text_query: TextQuery) -> list[int]:
    """The SHORTLIST decisions that match the most of the narrowing groups, by weight: each group's
    decisions come from the full-text index alone (no decision's text is read), so that only the
    shortlist is scored in full."""
    limit = int(max(SELECTIVE, len_published() * 0.05))
    weights: dict[int, float] = {}
    for group in text_query.groups:
        if group.frequency <= limit:
            # The frequency is an estimate: a group that turns out common counts in the full score only.
            found = list(matching.filter(search_vector=group.query).values_list("pk", flat=True)[: limit + 1])
            for pk in found if len(found) <= limit else ():
                weights[pk] = weights.get(pk, 0.0) + group.weight
    return sorted(weights, key=lambda pk: -weights[pk])[:SHORTLIST]


def _cited_first(
    queryset: QuerySet, references: list[Reference], limit: int | None = None, corpus: Corpus = DECISIONS
) -> list[int]:
    """The decisions' ids, those about the cited paragraph first: in force, citing the very
    subsection asked for, citing the paragraph early in their list, newest. One query: the
    decisions joined to their references to the paragraph, grouped."""
    paragraphs = {
        (law, section): pk
        for pk, law, section in Paragraph.objects.matching(references).values_list(
            "pk", "law__slug", "section"
        )
    }
    if not paragraphs:
        return []
    exact = Q()
    for reference in references:
        if (pk := paragraphs.get((reference.law, reference.section))) is not None:
            same = Q(references__paragraph_id=pk)
            exact |= same & Q(references__subsection=reference.subsection) if reference.subsection else same
    asked = Q(references__paragraph_id__in=list(paragraphs.values()))
    ordered = queryset.annotate(
        cited_at=Min("references__position", filter=asked),
        exact=Max(Case(When(exact, then=Value(1)), default=Value(0)), filter=asked),
    ).order_by(corpus.rank, "-exact", "cited_at", f"-{corpus.date}", "-pk")
    return list(ordered.values_list("pk", flat=True)[:limit])


def _sorted(ids: list[int], sort: str) -> list[int]:
    """The ranked ids as the reader asked them sorted: by relevance (as ranked), newest or oldest."""
    if sort == "newest":
        return list(
            Decision.objects.filter(pk__in=ids).order_by("-decided_on", "-pk").values_list("pk", flat=True)
        )
    if sort == "oldest":
        return list(
            Decision.objects.filter(pk__in=ids).order_by("decided_on", "pk").values_list("pk", flat=True)
        )
    return ids


def _page_of(ids: list[int], page_number: str | None) -> Page:
    """A page of the ids, as the decisions a list shows, in the ids' order."""
    page = page_of(ids, page_number, PAGE_SIZE)
    decisions = {
        decision.pk: decision for decision in Decision.objects.filter(pk__in=page.object_list).for_list()
    }
    page.object_list = [decisions[pk] for pk in page.object_list if pk in decisions]
    return page


def count(raw_query: str, filters: Filters) -> int:
    """How many published decisions match, filtered, as the search page would count them (at most
    CAP + 1), without building the page: the other kind's tab on the hotline's results."""
    query = clean_query(raw_query)
    matched = _matching(query, Decision.objects.published())
    return len(_ranked(_filtered(matched.queryset, filters), matched.text_query, matched.references, CAP + 1))


def ranked_ids(raw_query: str, base: QuerySet, corpus: Corpus = DECISIONS) -> list[int]:
    """The ids of the decisions in `base` that match `raw_query`, most relevant first, at most CAP
    of them: the search page's matching and ranking, without its corrections of typos."""
    query = clean_query(raw_query)
    number = corpus is DECISIONS and re.fullmatch(NUMBER_PATTERN, query)
    if number and (ids := list(base.filter(number__in={query, query.upper()}).values_list("pk", flat=True))):
        return ids
    matched = _matching(query, base)
    return _ranked(matched.queryset, matched.text_query, matched.references, corpus=corpus)


def _with_paragraph_signs(query: str, parser) -> str:
    """How a search box is typed, as a citation: “SEL 100” → “SEL § 100”, “§ 82 a aktivloven” →
    “§ 82 a i aktivloven”. Positions of what is found refer to the text returned."""
    abbreviations = "|".join(re.escape(law.abbreviation) for law in parser.laws.values())
    if not abbreviations:
        return query
    query = re.sub(rf"\b({abbreviations}) (?=[0-9])", r"\1 § ", query, flags=re.IGNORECASE)
    names = "|".join(
        re.escape(name)
        for law in parser.laws.values()
        for name in sorted({law.abbreviation, law.short_name, *law.names}, key=len, reverse=True)
    )
    return re.sub(
        rf"(§\s*[0-9]{{1,4}}(?:\s?(?!i\s)[a-zæøå](?![a-zæøå]))?)\s+(?=(?:{names})s?\b)",
        r"\1 i ",
        query,
        flags=re.IGNORECASE,
    )


def _any_filter(filters: Filters) -> bool:
    return bool(filters.area or filters.law or filters.paragraph or filters.status or filters.year_from)


def _add_snippets(page: Page, text_query: SearchQuery | None) -> None:
    """The best-matching passage of each decision on the page, with the matches in <mark>."""
    decisions = list(page.object_list)
    page.object_list = decisions
    add_list_relations(decisions)
    if text_query is None or not decisions:
        return
    snippets = dict(
        Decision.objects.filter(pk__in=[decision.pk for decision in decisions])
        .annotate(
            snippet=SearchHeadline(
                Concat("summary", Value(" "), "practice_note", Value(" "), "body", output_field=TextField()),
                text_query,
                config="danish",
                start_sel=_START,
                stop_sel=_STOP,
                max_words=30,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
        .values_list("pk", "snippet")
    )
    for decision in decisions:
        decision.snippet = highlight(snippets.get(decision.pk, ""))


def highlight(text: str) -> SafeString:
    """Escapes the text, then turns the headline markers into <mark>."""
    return mark_safe(escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308


def _facet_values(filters: Filters) -> dict[str, list[Facet]]:
    """The facets without counts, for results too many to count."""
    return {
        "area": [Facet(a.slug, a.name, None, a.slug == filters.area) for a in Area.objects.all()],
        "law": [
            Facet(law.slug, law.short_name, None, law.slug == filters.law)
            for law in Law.objects.order_by("short_name")
        ],
        "status": [Facet(value, label, None, value == filters.status) for value, label in Status.choices],
        "paragraph": [],
        "year": [],
    }


def _facets(ids: list[int], filters: Filters) -> dict[str, list[Facet]]:
    """Counts beside each filter value, over the results shown (at most CAP decisions)."""
    decisions = Decision.objects.filter(pk__in=ids)

    def counts(column: str) -> dict:
        return dict(decisions.order_by().values(column).annotate(n=Count("pk")).values_list(column, "n"))

    areas, statuses = counts("area_id"), counts("status")
    law_counts = dict(
        ParagraphReference.objects.filter(decision_id__in=ids)
        .values("paragraph__law_id")
        .annotate(n=Count("decision_id", distinct=True))
        .values_list("paragraph__law_id", "n")
    )
    paragraph_rows = (
        ParagraphReference.objects.filter(decision_id__in=ids)
        .values("paragraph_id")
        .annotate(n=Count("decision_id", distinct=True))
        .order_by("-n")
        .values_list("paragraph_id", "n")[:PARAGRAPH_FACETS]
    )
    paragraph_counts_here = dict(paragraph_rows)
    paragraphs = Paragraph.objects.filter(pk__in=list(paragraph_counts_here)).select_related("law")
    years = (
        decisions.annotate(year=ExtractYear("decided_on"))
        .order_by()
        .values("year")
        .annotate(n=Count("pk"))
        .order_by("-year")
        .values_list("year", "n")
    )
    return {
        "area": [
            Facet(area.slug, area.name, areas[area.pk], area.slug == filters.area)
            for area in Area.objects.all()
            if area.pk in areas
        ],
        "law": [
            Facet(law.slug, law.short_name, law_counts[law.pk], law.slug == filters.law)
            for law in Law.objects.order_by("short_name")
            if law.pk in law_counts
        ],
        "status": [
            Facet(value, label, statuses[value], value == filters.status)
            for value, label in Status.choices
            if value in statuses
        ],
        "paragraph": sorted(
            (
                Facet(
                    f"{paragraph.law.slug}-{paragraph.section}",
                    f"{paragraph.law.abbreviation} {paragraph.display}",
                    paragraph_counts_here[paragraph.pk],
                    filters.paragraph == f"{paragraph.law.slug}-{paragraph.section}",
                )
                for paragraph in paragraphs
            ),
            key=lambda facet: -facet.count,
        ),
        "year": [Facet(str(year), str(year), count, False) for year, count in years],
    }


SUGGESTIONS = 8


def suggestions(raw_query: str) -> list[dict[str, str]]:
    """As-you-type suggestions: laws, paragraphs and decision numbers that begin like the query."""
    query = clean_query(raw_query)[:60]
    if len(query) < 2:
        return []
    found: list[dict[str, str]] = []
    numbers = Decision.objects.published().filter(number__istartswith=query).order_by("number")
    for number, title in numbers.values_list("number", "title")[:SUGGESTIONS]:
        found.append({"kind": "decision", "text": number, "label": f"{number} {title}"})
    cited = re.match(r"^(?P<law>.+?)\s*§\s*(?P<section>[0-9]+\s?[a-zæøå]?)?$", query, re.IGNORECASE)
    laws = list(Law.objects.all())
    by_name = {name.lower(): law for law in laws for name in (law.abbreviation, law.short_name, *law.aliases)}
    if cited and cited.group("law").lower() in by_name:
        law = by_name[cited.group("law").lower()]
        section = (cited.group("section") or "").replace(" ", "").lower()
        paragraphs = Paragraph.objects.filter(law=law, section__startswith=section, references__isnull=False)
        for paragraph in paragraphs.distinct().order_by("number", "letter")[:SUGGESTIONS]:
            text = f"{law.abbreviation} {paragraph.display}"
            found.append(
                {"kind": "paragraph", "text": text, "label": f"{law.short_name} {paragraph.display}"}
            )
    else:
        lowered = query.lower()
        for law in laws:
            names = (law.abbreviation, law.short_name, law.title, *law.aliases)
            if any(name.lower().startswith(lowered) for name in names):
                found.append({"kind": "law", "text": f"{law.abbreviation} § ", "label": law.title})
    return found[:SUGGESTIONS]
