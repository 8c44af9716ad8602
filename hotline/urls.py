from django.urls import path

from hotline import views

app_name = "hotline"
urlpatterns = [
    path("", views.index, name="index"),
]
