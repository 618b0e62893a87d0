"""``path("", include("migrations_manager.observability.urls"))`` serves ``/metrics``."""

from django.urls import path

from .views import metrics

urlpatterns = [path("metrics", metrics, name="metrics")]
