from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Principportalen administration")
admin.site.site_title = _("Principportalen administration")
admin.site.index_title = _("Principle decisions, hotline and newsletters")
