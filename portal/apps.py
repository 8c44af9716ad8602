from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django.urls import register_converter

        from portal.converters import SectionConverter
        from portal.roles import sync_roles_after_migrate

        register_converter(SectionConverter, "section")
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="sync_roles")
