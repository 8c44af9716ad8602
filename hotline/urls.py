from django.urls import path, re_path

from hotline import views

app_name = "hotline"
urlpatterns = [
    path("", views.index, name="index"),
    path("spoerg/", views.ask, name="ask"),
    path("omraade/<slug:slug>/", views.area, name="area"),
    path("lov/<slug:slug>/", views.law, name="law"),
    path("lov/<slug:law_slug>/<section:section>/", views.paragraph, name="paragraph"),
    re_path(r"^svar/(?P<reference>[Hh][Ll]-[0-9]{4}-[0-9]{3,5})/$", views.answer, name="answer"),
    re_path(r"^svar/(?P<reference>HL-[0-9]{4}-[0-9]{3,5})/meld/$", views.report, name="report"),
    re_path(r"^sag/(?P<token>[A-Za-z0-9_-]{20,64})/$", views.case, name="case"),
]
