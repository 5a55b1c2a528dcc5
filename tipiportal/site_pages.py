"""The pages every French public site publishes, their content from the settings: mentions
légales, the accessibility statement (RGAA), personal data; and the authority's colour as CSS."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from tipiportal.authority import accessibility_get


@require_GET
def legal_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "site/legal_notice.html")


@require_GET
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    return render(request, "site/accessibility.html", {"accessibility": accessibility_get()})


@require_GET
def personal_data(request: HttpRequest) -> HttpResponse:
    context = {
        "retention_days": settings.PERSONAL_DATA_RETENTION_DAYS,
        "junk_retention_days": settings.RETURNS_JUNK_RETENTION_DAYS,
        "import_files_retention_days": settings.IMPORT_FILES_RETENTION_DAYS,
        "session_hours": settings.SESSION_COOKIE_AGE // 3600,
    }
    return render(request, "site/personal_data.html", context)


@require_GET
@cache_control(public=True, max_age=3600)
def theme_css(request: HttpRequest) -> HttpResponse:
    """The authority's colour (checked #rrggbb when the settings load) as the site's accent: a
    stylesheet, since the CSP allows no inline style."""
    css = f":root {{ --blue: {settings.AUTHORITY_COLOR}; }}\n"
    return HttpResponse(css, content_type="text/css; charset=utf-8")
