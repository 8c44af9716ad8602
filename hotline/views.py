"""The hotline's public pages: what it is for, the published answers (newest, by area, by law and
paragraph), each answer with its validity, the question form and a personal status page."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from decisions.citations import CitationError, normalize_section, split_section
from decisions.models import Area, Decision, Law, Paragraph
from hotline import cases, flagging
from hotline.forms import QuestionForm, ReportForm
from hotline.models import Answer, AnswerFlag, AnswerParagraph, Question, State
from portal.pagination import requested_page
from portal.ratelimit import client_address, hit, too_many

PAGE_SIZE = 25
NEWEST = 8
SIMILAR = 5


def for_list(answers):
    return (
        answers.select_related("area")
        .defer("search_vector", "answer")
        .prefetch_related(
            Prefetch("flags", AnswerFlag.objects.filter(resolved_at__isnull=True), to_attr="open")
        )
    )


def paragraph_counts() -> dict[int, dict[str, int]]:
    """Listed answers per paragraph id: how many, and how many need review."""
    rows = (
        AnswerParagraph.objects.filter(answer__in=Answer.objects.listed())
        .values("paragraph_id")
        .annotate(
            total=Count("answer", distinct=True),
            review=Count("answer", distinct=True, filter=~Q(answer__validity="current")),
        )
    )
    return {row["paragraph_id"]: {"total": row["total"], "review": row["review"]} for row in rows}


def laws_with_answers() -> list[Law]:
    counts = paragraph_counts()
    laws = {law.pk: law for law in Law.objects.select_related("area").order_by("area__order", "short_name")}
    for law in laws.values():
        law.answered_paragraphs = []
    for paragraph in Paragraph.objects.filter(pk__in=list(counts)).order_by("number", "letter"):
        paragraph.answer_counts = counts[paragraph.pk]
        paragraph.law = laws[paragraph.law_id]
        laws[paragraph.law_id].answered_paragraphs.append(paragraph)
    return [law for law in laws.values() if law.answered_paragraphs]


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    listed = Answer.objects.listed()
    per_area = dict(listed.values_list("area_id").annotate(count=Count("pk")))
    areas = list(Area.objects.order_by("order"))
    for area in areas:
        area.answer_count = per_area.get(area.pk, 0)
    return render(
        request,
        "hotline/index.html",
        {
            "newest": list(for_list(listed).order_by("-answered_on", "-pk")[:NEWEST]),
            "areas": areas,
            "laws": laws_with_answers(),
            "total": listed.count(),
        },
    )


def _list(request: HttpRequest, answers, context: dict) -> HttpResponse:
    show_all = request.GET.get("alle") == "1"
    shown = answers.filter(state=State.PUBLISHED) if not show_all else answers.exclude(state=State.DRAFT)
    if not show_all:
        shown = shown.filter(validity__in=["current", "needs_review", "expired"])
    hidden = answers.exclude(state=State.DRAFT).count() - shown.count() if not show_all else 0
    page = requested_page(request, for_list(shown).current_first(), PAGE_SIZE)
    return render(
        request, "hotline/list.html", {**context, "page": page, "hidden": hidden, "show_all": show_all}
    )


@require_safe
def area(request: HttpRequest, slug: str) -> HttpResponse:
    area = get_object_or_404(Area, slug=slug)
    return _list(request, Answer.objects.filter(area=area), {"title": area.name, "area": area})


@require_safe
def law(request: HttpRequest, slug: str) -> HttpResponse:
    law = get_object_or_404(Law, slug=slug)
    return _list(request, Answer.objects.citing(law=law), {"title": law.short_name, "law": law})


@require_safe
def paragraph(request: HttpRequest, law_slug: str, section: str) -> HttpResponse:
    try:
        number, letter = split_section(normalize_section(section))
    except CitationError:
        raise Http404 from None
    if f"{number}{letter}" != section:
        return redirect("hotline:paragraph", law_slug, f"{number}{letter}", permanent=True)
    law = get_object_or_404(Law, slug=law_slug)
    found = Paragraph.objects.filter(law=law, section=section).first()
    shown = found or Paragraph(law=law, section=section, number=number, letter=letter)
    answers = Answer.objects.citing(found) if found else Answer.objects.none()
    title = f"{law.short_name} {shown.display}"
    return _list(request, answers, {"title": title, "law": law, "paragraph": shown})


@require_safe
def answer(request: HttpRequest, reference: str) -> HttpResponse:
    visible = Answer.objects.all() if request.user.is_staff else Answer.objects.public()
    found = (
        visible.select_related("area", "superseded_by", "owner").filter(reference=reference.upper()).first()
    )
    if found is None:
        raise Http404
    if found.reference != reference:
        return redirect(found, permanent=True)
    return render(request, "hotline/answer.html", _answer_context(found, ReportForm()))


def _answer_context(answer: Answer, report_form: ReportForm) -> dict:
    decisions = {d.number: d for d in Decision.objects.published().filter(number__in=answer.decisions)}
    newest = answer.superseded_by
    while newest is not None and newest.superseded_by_id is not None:  # follow a chain to its end
        newest = Answer.objects.filter(pk=newest.superseded_by_id).first()
    return {
        "answer": answer,
        "references": answer.references.select_related("paragraph__law"),
        "decisions": [(number, decisions.get(number)) for number in answer.decisions],
        "flags": list(answer.flags.filter(resolved_at__isnull=True)),
        "newest": newest if newest != answer.superseded_by else None,
        "report_form": report_form,
    }


@require_http_methods(["POST"])
def report(request: HttpRequest, reference: str) -> HttpResponse:
    answer = get_object_or_404(Answer.objects.filter(state=State.PUBLISHED), reference=reference)
    form = ReportForm(request.POST)
    if not form.is_valid():
        return render(request, "hotline/answer.html", _answer_context(answer, form), status=400)
    window = hit("hotline-report", client_address(request), settings.HOTLINE_REPORT_RATE)
    if not window.allowed:
        return too_many(window.retry_after)
    flagging.report(answer, form.cleaned_data["reason"])
    messages.success(
        request, _("Thank you. The answer's owner has been told, and the answer is marked for review.")
    )
    return redirect(answer)


def similar_answers(text: str) -> list[Answer]:
    """Published answers that may already answer the question: the best matches of its words."""
    from django.contrib.postgres.search import SearchQuery, SearchRank

    words = " OR ".join(word for word in text.split()[:60] if len(word) > 3)
    if not words:
        return []
    query = SearchQuery(words, config="danish", search_type="websearch")
    answers = Answer.objects.listed().filter(search_vector=query)
    ranked = answers.annotate(rank=SearchRank("search_vector", query)).order_by("-rank", "-answered_on")
    return list(ranked.select_related("area")[:SIMILAR])


@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    """The question form. Sending it first shows published answers like the question (without
    JavaScript: the server finds them), then sends it when the asker confirms."""
    form = QuestionForm(request.POST or None)
    similar: list[Answer] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        similar = similar_answers(data["question"])
        if "send" in request.POST or not similar:
            for scope, ident, rate in (
                ("hotline-ask", client_address(request), settings.HOTLINE_ASK_RATE),
                ("hotline-ask-email", data["email"].lower(), settings.HOTLINE_ASK_EMAIL_RATE),
            ):
                window = hit(scope, ident, rate)
                if not window.allowed:
                    return too_many(window.retry_after)
            question = cases.ask(
                name=data["name"],
                email=data["email"],
                municipality=data["municipality"],
                area=data["area"],
                question=data["question"],
                citations=data["citations"],
            )
            return redirect(f"{question.get_absolute_url()}?modtaget=1")
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(request, "hotline/ask.html", {"form": form, "similar": similar}, status=status)


@require_safe
def case(request: HttpRequest, token: str) -> HttpResponse:
    question = get_object_or_404(Question.objects.select_related("area", "duplicate_of"), token=token)
    response = render(
        request, "hotline/case.html", {"question": question, "received": request.GET.get("modtaget") == "1"}
    )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the address is the key to the page
    return response


SECTION_SIZE = 5


def paragraph_section(paragraph: Paragraph | None) -> dict | None:
    """What a decisions paragraph page shows of the hotline: the answers on the paragraph in use,
    current first, and how many need review. None when there are none."""
    if paragraph is None or paragraph.pk is None:
        return None
    answers = Answer.objects.listed().citing(paragraph)
    counts = answers.aggregate(total=Count("pk"), review=Count("pk", filter=~Q(validity="current")))
    if not counts["total"]:
        return None
    return {
        "answers": list(for_list(answers).current_first()[:SECTION_SIZE]),
        "total": counts["total"],
        "review": counts["review"],
        "url": reverse("hotline:paragraph", args=[paragraph.law.slug, paragraph.section]),
    }
