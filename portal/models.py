"""Municipal systems that use the API: who they are and the keys they authenticate with."""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.env import parse_rate

KEY_PREFIX = "pp_"
LAST_USED_PRECISION = 60  # seconds: a key in steady use is written to at most once a minute


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiClient(models.Model):
    organisation = models.CharField(_("organisation"), max_length=200)
    contact_email = models.EmailField(_("contact email"))
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("An inactive client's keys are refused until it is active again."),
    )
    rate = models.CharField(
        _("rate limit"),
        max_length=20,
        blank=True,
        help_text=_("Requests per second, minute, hour or day, e.g. “5000/hour”. Empty: the default."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["organisation"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.organisation

    def clean(self) -> None:
        if self.rate:
            try:
                parse_rate(self.rate)
            except ValueError:
                raise ValidationError(
                    {
                        "rate": _(
                            "Write a number of requests per second, minute, hour or day, e.g. “5000/hour”."
                        )
                    }
                ) from None

    def issue_key(self) -> tuple["ApiKey", str]:
        """A new key for this client: the key object, and the key itself, which is not stored."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        return ApiKey.objects.create(client=self, prefix=key[:10], hashed=hash_key(key)), key


class ApiKey(models.Model):
    client = models.ForeignKey(
        ApiClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="keys"
    )
    # The first characters, so that staff and the client can tell keys apart; the rest is not kept.
    prefix = models.CharField(_("key begins with"), max_length=10)
    hashed = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.client})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def record_use(self) -> None:
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() > LAST_USED_PRECISION:
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now


class OutgoingMail(models.Model):
    """One message in the outbox (portal/outbox.py): queued once per idempotency key, sent by Celery,
    retried while the failure is temporary, never sent twice by a retried task."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    key = models.CharField(
        _("idempotency key"),
        max_length=200,
        unique=True,
        help_text=_(
            "What the message is, once: e.g. hotline.receipt:<question>, digest:<subscriber>:<period>."
        ),
    )
    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    # The key without its last part: the messages sent together, e.g. one digest run
    # (digest:daily:2026-11-23) or one newsletter issue, so that staff can count them.
    batch = models.CharField(_("batch"), max_length=200, blank=True, db_index=True)
    to = models.EmailField(_("to"), max_length=254)
    from_email = models.CharField(_("from"), max_length=300)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(_("sending until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mail")
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"], name="outbox_due", condition=models.Q(state="queued")
            ),
            models.Index(fields=["lease_until"], name="outbox_leased", condition=models.Q(state="sending")),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.to} ({self.get_state_display()})"
