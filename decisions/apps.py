from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from portal.backups import database_restored


class DecisionsConfig(AppConfig):
    name = "decisions"
    verbose_name = _("Principle decisions and laws")

    def ready(self) -> None:
        from decisions.changes import after_restore
        from decisions.citations import forget_parser
        from decisions.models import Decision, Law, Synonym, decisions_changed
        from decisions.vocabulary import forget_synonyms

        post_save.connect(forget_parser, sender=Law, dispatch_uid="forget_parser_on_save")
        post_delete.connect(forget_parser, sender=Law, dispatch_uid="forget_parser_on_delete")
        # References change only together with their decision (admin) or in an import, which says
        # so itself; not listening to them keeps their bulk deletes fast.
        post_save.connect(decisions_changed, sender=Decision, dispatch_uid="decisions_changed_on_save")
        post_delete.connect(decisions_changed, sender=Decision, dispatch_uid="decisions_changed_on_delete")
        post_save.connect(forget_synonyms, sender=Synonym, dispatch_uid="forget_synonyms_on_save")
        post_delete.connect(forget_synonyms, sender=Synonym, dispatch_uid="forget_synonyms_on_delete")
        database_restored.connect(after_restore, dispatch_uid="decisions_after_restore")
