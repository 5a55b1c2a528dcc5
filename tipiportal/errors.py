"""The error pages (400, 403, 404, 500, a refused CSRF token): French, in the site's look, with
a way back. The 500 page is rendered without the request's context processors (no database)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from tipiportal.authority import authority_context

_PAGES = {
    400: ("Demande incorrecte", "La demande envoyée par votre navigateur n'a pas pu être comprise."),
    403: ("Accès refusé", "Vous n'avez pas accès à cette page."),
    404: (
        "Page introuvable",
        "Cette page n'existe pas ou plus. Vérifiez l'adresse, ou repartez de l'accueil du site.",
    ),
    500: (
        "Erreur du site",
        "Le site a rencontré une erreur et n'a pas pu afficher cette page. Réessayez dans quelques minutes.",
    ),
}
CSRF_MESSAGE = (
    "Le formulaire a expiré, ou votre navigateur refuse les cookies de ce site. Revenez à la page "
    "précédente, rechargez-la, puis envoyez le formulaire à nouveau."
)


def _context(status: int, message: str | None = None) -> dict:
    title, default = _PAGES[status]
    return {"status": status, "title": title, "message": message or default}


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/error.html", _context(400), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/error.html", _context(403), status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/error.html", _context(404), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Whatever failed (the database, a context processor) must not fail this page too.
    return HttpResponse(render_to_string("errors/error.html", _context(500) | authority_context()), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    context = _context(403, CSRF_MESSAGE) | {"title": "Formulaire expiré"}
    return render(request, "errors/error.html", context, status=403)
