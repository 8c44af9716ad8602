from celery import shared_task


@shared_task(ignore_result=True)
def keep_answers_current() -> dict[str, int]:
    """Every minute (beat): flags answers whose decisions changed (read from the change feed) or
    whose law was amended, and stores the validity of those whose review date passed. Safe to run
    twice at once: the feed's reader position is locked while it is read."""
    from hotline.flagging import keep_current

    return keep_current()


@shared_task(ignore_result=True)
def send_reminders() -> int:
    """Weekdays at 07:00 (beat): one mail to each lawyer with answers or questions due."""
    from hotline.cases import reminders

    return reminders()


@shared_task(ignore_result=True)
def erase_personal_data() -> int:
    """Nightly (beat): askers' names and addresses past the retention period are erased."""
    from hotline.cases import erase_personal_data as erase

    return erase()
