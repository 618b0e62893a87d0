from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from migrations_manager.api.not_found import UnknownEndpoint

# The admin's pages register here, with the URLconf: the app config is SimpleAdminConfig, so that
# processes that serve no page (management commands) do not import them.
admin.autodiscover()

# The admin's "View site" leads to the Migrations panel (the project has no other site).
admin.site.site_url = "/admin/migrations_manager/migration/"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/migrations/", include("migrations_manager.api.urls")),
    path("", include("migrations_manager.observability.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # A JSON 404, not Django's HTML page: to anyone (it names only what is not there).
    re_path(r"^api/", UnknownEndpoint.as_view(), name="api-not-found"),
]
