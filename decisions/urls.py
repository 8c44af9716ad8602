from django.urls import path
from django.views.generic import TemplateView

from decisions import views

app_name = "decisions"
urlpatterns = [
    path("", TemplateView.as_view(template_name="decisions/index.html"), name="index"),
    path("soeg/", views.search, name="search"),
]
