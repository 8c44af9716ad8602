from django.urls import path, re_path

from decisions import views
from decisions.models import NUMBER_PATTERN

app_name = "decisions"
urlpatterns = [
    path("", views.index, name="index"),
    path("nyeste/", views.newest, name="newest"),
    path("soeg/", views.search_page, name="search"),
    path("soeg/forslag/", views.suggest, name="suggest"),
    path("omraade/<slug:slug>/", views.area, name="area"),
    path("lov/<slug:slug>/", views.law, name="law"),
    path("lov/<slug:law_slug>/<section:section>/", views.paragraph, name="paragraph"),
    re_path(rf"^(?P<number>{NUMBER_PATTERN})/$", views.detail, name="detail"),
]
