"""Chorus Pro staff pages (/gestion/chorus-pro/): thin views over services and selectors."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from choruspro.models import ChorusInvoice, ChorusSendBatch, Environment, PublicBody
from choruspro.selectors import (
    chorus_account_get,
    chorus_settings_get,
    debt_invoices,
    debts_for_chorus,
    public_bodies_for_staff,
    send_batch_invoices,
)
from choruspro.services import connection, follow_up
from choruspro.services import invoices as invoice_services
from choruspro.services import public_bodies as public_body_services
from choruspro.tasks import public_bodies_detect_task
from debts.models import Debt
from debts.selectors import debt_debtor_reference, debt_with_debtor
from staff.choruspro.forms import AccountDatesForm, ChorusSettingsForm, PublicBodyForm, ResendForm, SendForm
from tipiportal.roles import administrator_required, agent_required

DEBTS_PER_PAGE = 50
MAX_SEND = 200


# --- Configuration (administrators) ------------------------------------------------------


@administrator_required
@require_http_methods(["GET", "POST"])
def configuration(request: HttpRequest) -> HttpResponse:
    config = chorus_settings_get()
    accounts = {env.value: chorus_account_get(env.value) for env in Environment}
    posted = request.method == "POST"
    form = ChorusSettingsForm(request.POST if posted else None, instance=config)
    dates = {
        env: AccountDatesForm(request.POST if posted else None, instance=account, prefix=env)
        for env, account in accounts.items()
    }
    if posted and form.is_valid() and all(f.is_valid() for f in dates.values()):
        config = form.save(commit=False)
        config.updated_by = request.user
        config.save()
        for date_form in dates.values():
            date_form.save()
        messages.success(request, "Paramètres Chorus Pro enregistrés.")
        return redirect("choruspro:configuration")
    environments = [
        {
            "value": env.value,
            "label": env.label,
            "account": accounts[env.value],
            "dates": dates[env.value],
            "credentials": connection.credentials_status(env.value),
            "active": env.value == config.environment,
        }
        for env in Environment
    ]
    context = {"form": form, "environments": environments, "warnings": connection.renewal_warnings(), "config": config}
    return render(request, "staff/choruspro/configuration.html", context, status=400 if posted else 200)


@administrator_required
@require_POST
def connection_test(request: HttpRequest) -> HttpResponse:
    report = connection.connection_test()
    if report.ok:
        messages.success(request, "Connexion avec Chorus Pro établie.")
    else:
        messages.error(request, "La connexion avec Chorus Pro n'est pas établie : voir le détail ci-dessous.")
    return redirect(reverse("choruspro:configuration") + "#test")


# --- Debts of public bodies -------------------------------------------------------------


@agent_required
@require_GET
def debt_list(request: HttpRequest) -> HttpResponse:
    only_public = request.GET.get("tous") != "1"
    to_reconcile = request.GET.get("a_rapprocher") == "1"
    search = request.GET.get("q", "").strip()[:100]
    debts = debts_for_chorus(only_public=only_public, search=search, to_reconcile=to_reconcile)
    page = Paginator(debts, DEBTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "only_public": only_public,
        "to_reconcile": to_reconcile,
        "search": search,
        "query": query.urlencode(),
        "config": chorus_settings_get(),
        "warnings": connection.renewal_warnings(),
    }
    return render(request, "staff/choruspro/debt_list.html", context)


def _selected_debts(values) -> list[Debt]:
    ids = []
    for value in values[:MAX_SEND]:
        if str(value).isdigit():
            ids.append(int(value))
    return list(
        Debt.objects.filter(pk__in=ids)
        .select_related("client", "debtor", "debtor__public_body")
        .order_by("refdet", "pk")
    )


@agent_required
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest) -> HttpResponse:
    """The chosen debts, with the service code and engagement number each recipient requires."""
    debts = _selected_debts(request.POST.getlist("dette") if request.method == "POST" else request.GET.getlist("dette"))
    if not debts:
        messages.error(request, "Cochez au moins une dette à envoyer sur Chorus Pro.")
        return redirect("choruspro:debts")
    environment = chorus_settings_get().environment
    if request.method == "GET":
        # The rules of each recipient, from Chorus Pro, before staff are asked anything.
        for debt in debts:
            body = getattr(debt.debtor, "public_body", None) if debt.debtor_id else None
            if body is not None and body.siret and not body.structure_known(environment):
                public_body_services.public_body_structure_refresh(public_body=body, environment=environment)
        debts = _selected_debts([d.pk for d in debts])
    form = SendForm(request.POST if request.method == "POST" and "envoyer" in request.POST else None, debts=debts)
    problems = {}
    general = []
    if form.is_bound and form.is_valid():
        requests = [invoice_services.SendRequest(debt, *form.values(debt.pk)) for debt in debts]
        try:
            batch = invoice_services.invoices_send(requests=requests, user=request.user)
        except invoice_services.SendRefused as refused:
            general, problems = refused.general, refused.by_debt
            for debt_pk, by_field in problems.items():
                for where, texts in by_field.items():
                    if where in ("service_code", "engagement"):
                        name = f"service_{debt_pk}" if where == "service_code" else f"engagement_{debt_pk}"
                        for text in texts:
                            form.add_error(name, text)
        else:
            messages.success(request, f"{len(requests)} facture(s) en cours d'envoi sur Chorus Pro.")
            return redirect("choruspro:batch", pk=batch.pk)
    rows = [{**row, "problems": problems.get(row["debt"].pk, {}).get("", [])} for row in form.bound_rows()]
    context = {"form": form, "rows": rows, "general": general, "environment": Environment(environment).label}
    return render(
        request,
        "staff/choruspro/send.html",
        context,
        status=400 if form.is_bound and (form.errors or general or problems) else 200,
    )


@agent_required
@never_cache
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(ChorusSendBatch, pk=pk)
    invoices = list(send_batch_invoices(batch))
    pending = any(i.state in (ChorusInvoice.State.QUEUED, ChorusInvoice.State.SENDING) for i in invoices)
    return render(request, "staff/choruspro/batch.html", {"batch": batch, "invoices": invoices, "pending": pending})


@agent_required
@never_cache
@require_GET
def batch_status(request: HttpRequest, pk: int) -> JsonResponse:
    batch = get_object_or_404(ChorusSendBatch, pk=pk)
    invoices = list(send_batch_invoices(batch))
    return JsonResponse(
        {
            "pending": any(i.state in (ChorusInvoice.State.QUEUED, ChorusInvoice.State.SENDING) for i in invoices),
            "invoices": {str(i.pk): {"state": i.state, "label": i.status_label} for i in invoices},
        }
    )


# --- One debt ----------------------------------------------------------------------------


def _debt(pk: int) -> Debt:
    return get_object_or_404(Debt.objects.select_related("client", "debtor"), pk=pk)


@agent_required
@never_cache
@require_GET
def debt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    debt = _debt(pk)
    debtor = debt_debtor_reference(debt)
    body = PublicBody.objects.filter(debtor=debtor).first() if debtor else None
    invoices = list(debt_invoices(debt))
    environment = chorus_settings_get().environment
    latest = invoices[0] if invoices else None
    resend_form = ResendForm(public_body=body, invoice=latest) if body and latest and latest.correctable else None
    mark_form = PublicBodyForm(
        initial={
            "siret": body.siret if body else "",
            "default_service_code": body.default_service_code if body else "",
            "default_engagement": body.default_engagement if body else "",
        }
    )
    context = {
        "debt": debt,
        "debtor": debtor,
        "body": body,
        "invoices": invoices,
        "latest": latest,
        "resend_form": resend_form,
        "mark_form": mark_form,
        "environment": environment,
        "structure_known": bool(body and body.structure_known(environment)),
    }
    return render(request, "staff/choruspro/debt_detail.html", context)


@agent_required
@require_POST
def public_body_mark(request: HttpRequest, pk: int) -> HttpResponse:
    debt = _debt(pk)
    debtor = debt_debtor_reference(debt)
    if debtor is None:
        messages.error(
            request,
            "Cette dette n'a pas de référence débiteur : elle ne peut pas être rattachée à un organisme public.",
        )
        return redirect("choruspro:debt", pk=debt.pk)
    form = PublicBodyForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("choruspro:debt", pk=debt.pk)
    data = form.cleaned_data
    body = public_body_services.public_body_mark(
        debtor=debtor,
        siret=data["siret"],
        user=request.user,
        service_code=data["default_service_code"],
        engagement=data["default_engagement"],
    )
    if body.structure_error:
        messages.error(request, f"Débiteur {debtor.reference} désigné comme organisme public. {body.structure_error}")
    else:
        messages.success(
            request, f"Débiteur {debtor.reference} désigné comme organisme public : {body.structure_name}."
        )
    return redirect("choruspro:debt", pk=debt.pk)


@agent_required
@require_POST
def public_body_unmark(request: HttpRequest, pk: int) -> HttpResponse:
    found = debt_with_debtor(pk)
    if found is None:
        raise Http404
    debt, debtor = found
    try:
        public_body_services.public_body_unmark(debtor=debtor)
    except connection.ChorusRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Le débiteur {debtor.reference} n'est plus désigné comme organisme public.")
    return redirect("choruspro:debt", pk=debt.pk)


@agent_required
@require_POST
def structure_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    found = debt_with_debtor(pk)
    if found is None:
        raise Http404
    debt, debtor = found
    body = get_object_or_404(PublicBody, debtor=debtor)
    body = public_body_services.public_body_structure_refresh(public_body=body)
    if body.structure_error:
        messages.error(request, body.structure_error)
    else:
        messages.success(request, f"Structure Chorus Pro trouvée : {body.structure_name}.")
    return redirect("choruspro:debt", pk=debt.pk)


@agent_required
@require_POST
def debt_poll(request: HttpRequest, pk: int) -> HttpResponse:
    debt = _debt(pk)
    invoices = [i.pk for i in debt_invoices(debt) if i.state == ChorusInvoice.State.SUBMITTED and not i.final]
    report = follow_up.invoices_poll(invoice_ids=invoices)
    if report.errors:
        for error in report.errors:
            messages.error(request, error)
    else:
        messages.success(request, f"Statut relevé sur Chorus Pro ({report.new_statuses} nouveau(x)).")
    return redirect("choruspro:debt", pk=debt.pk)


@agent_required
@require_POST
def invoice_resend(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(ChorusInvoice.objects.select_related("debt", "public_body"), pk=pk)
    form = ResendForm(request.POST, public_body=invoice.public_body, invoice=invoice)
    if form.is_valid():
        try:
            new = invoice_services.invoice_resend(
                invoice=invoice,
                service_code=form.cleaned_data["service_code"] or "",
                engagement=form.cleaned_data["engagement"] or "",
                user=request.user,
            )
        except invoice_services.SendRefused as refused:
            for text in refused.general:
                messages.error(request, text)
            for texts in refused.by_debt.get(invoice.debt_id, {}).values():
                for text in texts:
                    messages.error(request, text)
        except connection.ChorusRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, f"Facture corrigée {new.number} en cours d'envoi sur Chorus Pro.")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("choruspro:debt", pk=invoice.debt_id)


@agent_required
@require_GET
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(ChorusInvoice, pk=pk)
    if not invoice.pdf:
        raise Http404
    response = HttpResponse(bytes(invoice.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="facture-{invoice.number}.pdf"'
    return response


# --- Public bodies -------------------------------------------------------------------------


@agent_required
@require_GET
def public_bodies(request: HttpRequest) -> HttpResponse:
    page = Paginator(public_bodies_for_staff(), DEBTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "staff/choruspro/public_bodies.html", {"page": page})


@agent_required
@require_POST
def public_bodies_detect(request: HttpRequest) -> HttpResponse:
    public_bodies_detect_task.enqueue()
    messages.success(
        request,
        "Recherche lancée : les organismes publics désignés par les fichiers importés apparaîtront "
        "dans cette liste d'ici quelques instants.",
    )
    return redirect("choruspro:public-bodies")
