"""The staff home (/gestion/); each section of the back office has its own folder beside this one."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from debts.selectors import import_batches_for_staff
from tipiportal.roles import agent_required


@agent_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/home.html", {"recent_batches": import_batches_for_staff()[:5]})
