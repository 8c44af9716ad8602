from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class DecisionsConfig(AppConfig):
    name = "decisions"
    verbose_name = _("Principle decisions and laws")

    def ready(self) -> None:
        from decisions.citations import forget_parser
        from decisions.models import Decision, Law, ParagraphReference, decisions_changed

        post_save.connect(forget_parser, sender=Law, dispatch_uid="forget_parser_on_save")
        post_delete.connect(forget_parser, sender=Law, dispatch_uid="forget_parser_on_delete")
        for model in (Decision, ParagraphReference):
            post_save.connect(
                decisions_changed, sender=model, dispatch_uid=f"changed_on_save_{model.__name__}"
            )
            post_delete.connect(
                decisions_changed, sender=model, dispatch_uid=f"changed_on_delete_{model.__name__}"
            )
