from django.urls import path, re_path

from newsletters import views
from newsletters.links import TOKEN_PATTERN

app_name = "newsletters"
urlpatterns = [
    path("", views.index, name="index"),
    path("tilmeldt/", views.check, name="check"),
    re_path(rf"^bekraeft/(?P<token>{TOKEN_PATTERN})/$", views.confirm, name="confirm"),
    re_path(rf"^indstillinger/(?P<token>{TOKEN_PATTERN})/$", views.preferences, name="preferences"),
    re_path(rf"^indstillinger/(?P<token>{TOKEN_PATTERN})/slet/$", views.delete, name="delete"),
    re_path(rf"^afmeld/(?P<token>{TOKEN_PATTERN})/$", views.unsubscribe, name="unsubscribe"),
    re_path(rf"^afmeld/(?P<token>{TOKEN_PATTERN})/fortryd/$", views.undo, name="undo"),
    path("arkiv/", views.archive, name="archive"),
    path("arkiv/<slug:slug>/", views.issue, name="issue"),
]
