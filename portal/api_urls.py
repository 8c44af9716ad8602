from django.urls import path
from django.views.generic import TemplateView

from decisions.api import SearchView

app_name = "api"
urlpatterns = [
    path("", TemplateView.as_view(template_name="portal/api.html"), name="index"),
    path("v1/search/", SearchView.as_view(), name="search"),
]
