from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from tipiportal import site_pages
from tipiportal.health import healthz, robots_txt

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("robots.txt", robots_txt, name="robots"),
    path("theme.css", site_pages.theme_css, name="theme-css"),
    path("mentions-legales/", site_pages.legal_notice, name="legal-notice"),
    path("accessibilite/", site_pages.accessibility_statement, name="accessibility"),
    path("donnees-personnelles/", site_pages.personal_data, name="personal-data"),
    # The staff login is the admin site's (staff.auth.site); its second factor's pages:
    path("gestion/securite/", include("staff.auth.urls")),
    path("gestion/chorus-pro/", include("staff.choruspro.urls")),
    path("gestion/", include("staff.urls")),
    path("gestion/tipi/", include("staff.console.urls")),
    path("gestion/suivi/", include("staff.followup.urls")),
    path("gestion/admin/", admin.site.urls),
    path("compte/", include("accounts.urls")),
    path("compte/", include("allauth.urls")),
    path("", include("payments.urls")),
]

# French error pages in the site's look (tipiportal.errors); CSRF_FAILURE_VIEW names its own.
handler400 = "tipiportal.errors.bad_request"
handler403 = "tipiportal.errors.permission_denied"
handler404 = "tipiportal.errors.page_not_found"
handler500 = "tipiportal.errors.server_error"

if settings.TIPI_SANDBOX:
    # Same path as the real service, so only TIPI_BASE_URL differs. Never routed in production.
    urlpatterns.append(path("", include("payments.sandbox.urls")))

if settings.CHORUS_SANDBOX:
    # PISTE and Chorus Pro, reached over HTTP by the portal's client like the real ones. Never in production.
    urlpatterns.append(path("chorus-sandbox/", include("choruspro.sandbox.urls")))
