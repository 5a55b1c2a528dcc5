"""The portal's URLs plus two that fail on purpose, for the error pages' tests."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from tipiportal.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def _boom(request):
    raise RuntimeError("an unexpected failure")


def _forbidden(request):
    raise PermissionDenied


urlpatterns = [path("essai/panne/", _boom), path("essai/interdit/", _forbidden), *urlpatterns]
