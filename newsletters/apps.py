from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewslettersConfig(AppConfig):
    name = "newsletters"
    verbose_name = _("Newsletters")

    def ready(self) -> None:
        from newsletters.subscriptions import suspend
        from portal.outbox import refused

        refused.connect(suspend, dispatch_uid="newsletters.suspend")
