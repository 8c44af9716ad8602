from django.urls import path
from django.views.generic import TemplateView

app_name = "hotline"
urlpatterns = [
    path("", TemplateView.as_view(template_name="hotline/index.html"), name="index"),
]
