import socket

from celery import shared_task
from django.db import connection


@shared_task
def ping() -> dict[str, str]:
    """Answers from inside a worker: which host ran it and whether it reached the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone()
    return {"pong": "pong", "hostname": socket.gethostname(), "database": database}


# Late acknowledgement: a task whose worker dies is delivered to another worker. Redis hands an
# unacknowledged task out again after the broker's visibility_timeout (settings: one hour); every
# countdown here stays well below it, or the task would run twice.
@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_outbox() -> int:
    """Sends due mail, batch after batch, until none is due; returns how many were handled."""
    from portal import outbox

    handled = 0
    while claimed := outbox.deliver():
        handled += claimed
    return handled


@shared_task(ignore_result=True)
def sweep_outbox() -> None:
    """Every minute (beat): messages whose worker died are queued again, and due ones sent."""
    from portal import outbox

    if outbox.sweep():
        send_outbox.delay()
