"""The outbox: mail that is never lost and never sent twice (see REFERENCES.md, "Mail that is
never lost…"; after pretalx's QueuedMail and healthchecks' hc/lib/emails.py).

- Queuing: one row per idempotency key (`INSERT … ON CONFLICT DO NOTHING`), in the caller's
  transaction; the sender is asked to run when that transaction commits.
- Sending (`deliver()`, run by the Celery task `portal.tasks.send_outbox`): claims up to BATCH due
  rows with `SELECT … FOR UPDATE SKIP LOCKED`, marks them "sending" with a lease, and sends them
  over one SMTP connection, marking each row sent as soon as the server has accepted it. A worker
  killed mid-batch re-sends at most the message in flight: the others are either marked sent or
  still leased, and the sweep queues them again when the lease is over.
- Failures: a connection error or a 4xx answer is temporary and retried with exponential backoff
  (1, 2, 4 … minutes, at most an hour, up to MAX_ATTEMPTS); a 5xx answer is permanent: the row is
  marked failed with the server's answer and never retried. Staff can send a failed one again.
"""

import datetime
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import make_msgid

import psycopg
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.utils import DNS_NAME
from django.db import connection, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from psycopg.types.json import Jsonb

from portal.models import OutgoingMail

logger = logging.getLogger("portal.outbox")

BATCH = 100
LEASE = datetime.timedelta(minutes=10)  # longer than a batch can take; a dead worker's rows wait this long
MAX_ATTEMPTS = 10
FIRST_RETRY = datetime.timedelta(minutes=1)
LONGEST_RETRY = datetime.timedelta(hours=1)


# Sent when the SMTP server refuses a message for good (a 5xx answer), with `mail` (the
# OutgoingMail) and `answer` (the server's code and text): the newsletters suspend the address.
refused = Signal()


def now() -> datetime.datetime:
    """The outbox's clock; tests move it."""
    return timezone.now()


def queue_message(
    key: str, to: str, subject: str, text: str, html: str = "", headers: dict | None = None
) -> OutgoingMail:
    """The message under `key`, queued now unless a message with that key exists already."""
    queue_many([Message(key, to, subject, text, html, headers or {})])
    return OutgoingMail.objects.get(key=key)


@dataclass(frozen=True)
class Message:
    key: str
    to: str
    subject: str
    text: str
    html: str = ""
    headers: dict = field(default_factory=dict)


COLUMNS = (
    "key",
    "kind",
    "batch",
    "to",
    "from_email",
    "subject",
    "body_text",
    "body_html",
    "headers",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "message_id",
    "created_at",
)


def queue_many(messages: Iterable[Message]) -> None:
    """Queues many messages at once (a digest run queues thousands); those whose key exists
    already are left as they are. One statement per message, sent together in a pipeline with the
    texts bound by the server: a digest is tens of kilobytes, which client-side quoting would
    scan character by character."""
    moment = now()
    sender = settings.DEFAULT_FROM_EMAIL
    rows = [
        (
            message.key,
            message.key.split(":", 1)[0][:60],
            message.key.rpartition(":")[0][:200],
            message.to,
            sender,
            message.subject,
            message.text,
            message.html,
            Jsonb(message.headers),
            OutgoingMail.State.QUEUED,
            0,
            moment,
            "",
            make_msgid(domain=str(DNS_NAME)),  # fixed at once: a retry is recognisably the same message
            moment,
        )
        for message in messages
    ]
    if not rows:
        return
    table = OutgoingMail._meta.db_table
    columns = ", ".join(f'"{column}"' for column in COLUMNS)
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "  # noqa: S608
        "ON CONFLICT (key) DO NOTHING"  # the same key twice: one message
    )
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.executemany(sql, rows)
    if not any(entry[1] is _wake_sender for entry in connection.run_on_commit):  # once per transaction
        transaction.on_commit(_wake_sender)


def _wake_sender() -> None:
    from portal.tasks import send_outbox

    try:
        send_outbox.delay()
    except Exception:
        logger.warning("could not ask a worker to send the outbox; the sweep will", exc_info=True)


def claim(limit: int = BATCH) -> list[OutgoingMail]:
    """Due queued messages, marked "sending" under a lease, for this sender alone."""
    moment = now()
    with transaction.atomic():
        ids = list(
            OutgoingMail.objects.select_for_update(skip_locked=True)
            .filter(state=OutgoingMail.State.QUEUED, next_attempt_at__lte=moment)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        OutgoingMail.objects.filter(id__in=ids).update(
            state=OutgoingMail.State.SENDING, lease_until=moment + LEASE, attempts=F("attempts") + 1
        )
    return list(OutgoingMail.objects.filter(id__in=ids).order_by("next_attempt_at", "id"))


def email(row: OutgoingMail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=row.from_email,
        to=[row.to],
        headers={"Message-ID": row.message_id, **row.headers} if row.message_id else dict(row.headers),
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    return message


def deliver(limit: int = BATCH) -> int:
    """Sends one batch of due messages; returns how many were claimed (0: nothing was due)."""
    rows = claim(limit)
    if not rows:
        return 0
    mailer = mailers.default
    try:
        try:
            mailer.open()
        except (smtplib.SMTPException, OSError) as error:  # the server cannot be reached: later
            for row in rows:
                _retry(row, f"{type(error).__name__}: {error}")
            return len(rows)
        for row in rows:
            _send_one(mailer, row)
    finally:
        try:
            mailer.close()
        except Exception:
            logger.debug("closing the SMTP connection failed", exc_info=True)
    return len(rows)


def _send_one(mailer, row: OutgoingMail) -> None:
    if not row.message_id:
        # Fixed before the first attempt, so that a retry is recognisably the same message.
        row.message_id = make_msgid(domain=str(DNS_NAME))
        OutgoingMail.objects.filter(pk=row.pk).update(message_id=row.message_id)
    try:
        mailer.send_messages([email(row)])
    except smtplib.SMTPRecipientsRefused as error:
        code, answer = next(iter(error.recipients.values()))
        _failed(row, code, answer)
    except smtplib.SMTPResponseException as error:
        _failed(row, error.smtp_code, error.smtp_error)
    except (smtplib.SMTPException, OSError) as error:
        _retry(row, f"{type(error).__name__}: {error}")
        try:  # the connection may be gone: open a new one for the rest of the batch
            mailer.close()
            mailer.open()
        except (smtplib.SMTPException, OSError):
            logger.warning("the SMTP server cannot be reached", exc_info=True)
    else:
        OutgoingMail.objects.filter(pk=row.pk).update(
            state=OutgoingMail.State.SENT, sent_at=now(), lease_until=None, last_error=""
        )


def _answer(code: int, answer: bytes | str) -> str:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    return f"{code} {text}"


def _failed(row: OutgoingMail, code: int, answer: bytes | str) -> None:
    if 400 <= code < 500:
        _retry(row, _answer(code, answer))
        return
    OutgoingMail.objects.filter(pk=row.pk).update(
        state=OutgoingMail.State.FAILED, lease_until=None, last_error=_answer(code, answer)
    )
    logger.warning("mail %s to %s refused for good: %s", row.key, row.to, _answer(code, answer))
    refused.send(sender=OutgoingMail, mail=row, answer=_answer(code, answer))


def _retry(row: OutgoingMail, error: str) -> None:
    if row.attempts >= MAX_ATTEMPTS:
        OutgoingMail.objects.filter(pk=row.pk).update(
            state=OutgoingMail.State.FAILED,
            lease_until=None,
            last_error=f"gave up after {row.attempts}: {error}",
        )
        return
    wait = min(FIRST_RETRY * 2 ** (row.attempts - 1), LONGEST_RETRY)
    OutgoingMail.objects.filter(pk=row.pk).update(
        state=OutgoingMail.State.QUEUED, lease_until=None, next_attempt_at=now() + wait, last_error=error
    )


def sweep() -> int:
    """Rows left "sending" past their lease (their worker died) are queued again; returns how many
    messages are due now."""
    moment = now()
    OutgoingMail.objects.filter(state=OutgoingMail.State.SENDING, lease_until__lt=moment).update(
        state=OutgoingMail.State.QUEUED, lease_until=None
    )
    return OutgoingMail.objects.filter(state=OutgoingMail.State.QUEUED, next_attempt_at__lte=moment).count()


def send_again(rows: Iterable[OutgoingMail]) -> int:
    """Staff send failed messages again: queued now, attempts counted afresh."""
    ids = [row.pk for row in rows if row.state == OutgoingMail.State.FAILED]
    updated = OutgoingMail.objects.filter(pk__in=ids).update(
        state=OutgoingMail.State.QUEUED, attempts=0, next_attempt_at=now(), last_error=""
    )
    if updated:
        transaction.on_commit(_wake_sender)
    return updated
