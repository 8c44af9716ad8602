"""A subscriber's personal links, signed with SECRET_KEY (no login): confirm, preferences and
unsubscribe. Each names the subscriber and their current key; a new key (after "delete
everything", or staff resetting it) makes every older link stop working. The confirmation link
expires with the unconfirmed sign-up (7 days); the others keep working while the subscriber does."""

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse

from newsletters.models import Subscriber
from portal.guard import parse_int

CONFIRM_FOR = datetime.timedelta(days=7)
# What a token looks like in a path: "<id>.<key>:<timestamp>:<signature>" in URL-safe base64.
TOKEN_PATTERN = r"[0-9]{1,12}\.[A-Za-z0-9_-]{8,32}(?::[A-Za-z0-9_-]{1,20})?:[A-Za-z0-9_-]{20,64}"  # noqa: S105 - a pattern, not a secret


def _signer(purpose: str) -> signing.Signer:
    if purpose == "confirm":
        return signing.TimestampSigner(salt="newsletters.confirm")
    return signing.Signer(salt=f"newsletters.{purpose}")


def token(subscriber: Subscriber, purpose: str) -> str:
    return _signer(purpose).sign(f"{subscriber.pk}.{subscriber.key}")


def subscriber_for(value: str, purpose: str) -> Subscriber | None:
    """The subscriber a link is for, or None: a bad or expired signature, an old key, or an
    address since deleted."""
    try:
        signer = _signer(purpose)
        if isinstance(signer, signing.TimestampSigner):
            unsigned = signer.unsign(value, max_age=CONFIRM_FOR)
        else:
            unsigned = signer.unsign(value)
    except signing.BadSignature:
        return None
    pk, _dot, key = unsigned.partition(".")
    number = parse_int(pk, minimum=1, maximum=2**63 - 1)
    if number is None:
        return None
    return Subscriber.objects.filter(pk=number, key=key).first()


def path(subscriber: Subscriber, purpose: str) -> str:
    names = {"confirm": "confirm", "preferences": "preferences", "unsubscribe": "unsubscribe"}
    return reverse(f"newsletters:{names[purpose]}", args=[token(subscriber, purpose)])


def url(subscriber: Subscriber, purpose: str) -> str:
    return settings.SITE_URL + path(subscriber, purpose)
