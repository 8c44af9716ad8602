"""A caseworker subscribes to the newsletters from a paragraph page, confirms from the mail,
changes what they follow, unsubscribes with one click and undoes it; the mails they get are
opened as a mail program shows them. Each state is looked at (1280 and 390 px, axe)."""

import re

from e2e.test_pages import look


def _mail(django_db_blocker, kind: str):
    from portal.models import OutgoingMail

    with django_db_blocker.unblock():
        return OutgoingMail.objects.filter(kind=kind).order_by("-pk").first()


def _path(text: str, name: str) -> str:
    return re.search(rf"https?://[^/\s]+(/nyhedsbreve/{name}/[^\s>]+/)", text).group(1)


def test_subscribe_confirm_change_unsubscribe_and_undo(open_tab, django_db_blocker):
    tab = open_tab()
    page = tab.page
    tab.goto("/principafgoerelser/lov/serviceloven/100/")
    page.get_by_role("link", name=re.compile("Følg denne paragraf")).click()
    page.wait_for_url(re.compile(r"/nyhedsbreve/\?paragraph="))
    assert page.get_by_label("Enkelte paragraffer").input_value() == "SEL § 100"

    tab.expected_errors.add(tab.base_url + "/nyhedsbreve/")  # the form with errors answers 400
    page.get_by_label("Enkelte paragraffer").fill("SEL § 100\nXYZ § 3")
    page.get_by_role("button", name="Abonnér").click()
    page.wait_for_selector(".error-summary")
    look(tab, "newsletters-signup-errors")

    page.get_by_label("Din e-mail").fill("mette.eksempel@aarhus.dk")
    page.get_by_label("Enkelte paragraffer").fill("SEL § 100")
    page.get_by_label("Beskæftigelsesområdet").check()
    page.get_by_label("Dagligt (hverdage kl. 7.00)").check()
    page.get_by_role("button", name="Abonnér").click()
    page.wait_for_url(re.compile(r"/nyhedsbreve/tilmeldt/$"))
    assert "Tjek din indbakke" in page.content()

    confirmation = _mail(django_db_blocker, "newsletters.confirm")
    assert confirmation.to == "mette.eksempel@aarhus.dk"
    mail = open_tab()  # a tab of its own: the site's Content-Security-Policy is no mail program's
    mail.page.set_content(confirmation.body_html)
    mail.screenshot("mail-newsletters-confirm")
    tab.goto(_path(confirmation.body_text, "bekraeft"))
    look(tab, "newsletters-confirm")
    page.get_by_role("button", name="Bekræft abonnementet").click()
    page.wait_for_selector(".notice--success")
    assert "Dit abonnement er bekræftet" in page.content()
    look(tab, "newsletters-confirmed")

    page.get_by_role("link", name="Skift emner eller hyppighed").click()
    page.wait_for_url(re.compile(r"/nyhedsbreve/indstillinger/"))
    look(tab, "newsletters-preferences")
    page.get_by_label("Socialområdet").check()
    page.get_by_label("Ugentligt (mandage kl. 7.00)").check()
    page.get_by_role("button", name="Gem").click()
    page.wait_for_selector(".notice--success")
    assert page.get_by_label("Socialområdet").is_checked()

    page.get_by_role("link", name="Afmeld").first.click()
    page.wait_for_url(re.compile(r"/nyhedsbreve/afmeld/"))
    look(tab, "newsletters-unsubscribe")
    page.get_by_role("button", name="Afmeld").click()
    page.wait_for_selector(".notice--success")
    look(tab, "newsletters-unsubscribed")
    page.get_by_role("button", name="Fortryd: abonnér igen").click()
    page.wait_for_selector(".notice--success")
    assert "Du abonnerer igen" in page.content()


def test_a_digest_and_a_newsletter_version_as_a_mail_program_shows_them(open_tab, django_db_blocker):
    """Rendered from the demo's own data: a digest with several areas, and an area's version."""
    import datetime

    from django.utils import timezone

    from decisions.models import Decision
    from newsletters import digests, editorial
    from newsletters.models import Issue
    from tests.newsletters.helpers import subscriber

    with django_db_blocker.unblock():
        reader = subscriber("laeser@kommune.dk", areas=["social", "employment"], paragraphs="SEL § 100")
        chosen = Decision.objects.filter(is_published=True).order_by("number")[:6]
        published = dict(chosen.values_list("number", "published_on"))  # put back afterwards
        Decision.objects.filter(number__in=published).update(
            published_on=timezone.localdate(), is_published=False
        )
        digests.run("daily", timezone.now())
        Decision.objects.filter(number__in=published).update(is_published=True)
        digests.run("daily", timezone.now() + datetime.timedelta(days=1))
        for number, day in published.items():
            Decision.objects.filter(number=number).update(published_on=day)
        issue = Issue.objects.get(slug="2026-11")
        message, _version = editorial.preview(issue, None)
        employment, _v = editorial.preview(issue, issue.items.first().areas.first())
    digest = _mail(django_db_blocker, "digest")
    assert digest is not None
    assert digest.to == reader.email
    tab = open_tab()  # about:blank, as a mail program shows mail: no site, no CSP
    for name, html in (("mail-digest", digest.body_html), ("mail-newsletter-version", employment.html)):
        tab.page.set_content(html)
        for width in (1280, 390):
            tab.resize(width)
            tab.screenshot(name)
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= 390, (
            f"{name} is wider than a phone"
        )
    assert not tab.problems, tab.problems
    assert message is not None
