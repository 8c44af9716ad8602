"""The newsletters' Celery tasks, run by beat (portal/settings.py CELERY_BEAT_SCHEDULE). Each is
idempotent: a run for a period already served sends nothing more, and one a dead worker left half
done is finished by the next (`finish_digests`). Acknowledged late, so that a task whose worker
dies is run again; nothing here waits longer than Redis' visibility_timeout."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_digests(frequency: str, as_of: str | None = None) -> int:
    """Immediately: every 5 minutes; daily: weekdays at 07:00; weekly: Mondays at 07:00. `as_of`
    (ISO 8601) names the period; default now."""
    import datetime

    from newsletters.digests import run

    return run(frequency, datetime.datetime.fromisoformat(as_of) if as_of else None).digests


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def finish_digests() -> int:
    """Every 10 minutes: runs left unfinished by a dead worker are finished."""
    from newsletters.digests import finish_unfinished

    return finish_unfinished()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_due_issues() -> int:
    """Every minute: newsletter issues whose time has come are sent, half-sent ones finished."""
    from newsletters.editorial import send_due

    return send_due()


@shared_task(ignore_result=True)
def collect_news() -> int:
    """Every minute: the change feeds are read into news events, so that the "what happened"
    of a change is seen while it is fresh (a digest run collects first as well)."""
    from newsletters.collecting import collect_now

    return collect_now()


@shared_task(ignore_result=True)
def clean_up_subscribers() -> dict:
    """Nightly: unconfirmed sign-ups after 7 days, and unsubscribed addresses after 30, deleted."""
    from newsletters.subscriptions import clean_up

    return clean_up()
