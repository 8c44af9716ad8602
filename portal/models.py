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
