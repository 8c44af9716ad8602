from django.urls import include, path
from django.views.generic import TemplateView
from rest_framework.routers import SimpleRouter

from decisions.api import AreaViewSet, ChangesView, DecisionViewSet, LawViewSet, ParagraphViewSet, SearchView
from hotline.api import AnswerChangesView, AnswerViewSet
from portal.docs import DocsView, SchemaView

router = SimpleRouter()
router.register("decisions", DecisionViewSet, basename="decision")
router.register("laws", LawViewSet, basename="law")
router.register("paragraphs", ParagraphViewSet, basename="paragraph")
router.register("areas", AreaViewSet, basename="area")
router.register("hotline/answers", AnswerViewSet, basename="hotline-answer")

app_name = "api"
urlpatterns = [
    path("", TemplateView.as_view(template_name="portal/api.html"), name="index"),
    path("v1/", include(router.urls)),
    path("v1/changes/", ChangesView.as_view(), name="changes"),
    path("v1/hotline/changes/", AnswerChangesView.as_view(), name="hotline-changes"),
    path("v1/search/", SearchView.as_view(), name="search"),
    path("v1/schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
]
