from django.urls import path
from django.views.generic import TemplateView

app_name = "newsletters"
urlpatterns = [
    path("", TemplateView.as_view(template_name="newsletters/index.html"), name="index"),
]
