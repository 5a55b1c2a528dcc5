"""The staff login and its second factor. Nobody is logged in (auth.login) before both factors
pass: between the password and the code, the session only holds who is logging in."""

import base64
import time
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import PasswordChangeView, redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from staff.auth.forms import BAD_CODE, OtpTokenForm, StaffLoginForm
from staff.auth.selectors import staff_members_with_devices
from staff.auth.services import (
    StaffLoginRefused,
    StaffLoginThrottled,
    staff_otp_device_pending,
    staff_otp_reset,
    staff_otp_verify,
    staff_password_check,
)
from tipiportal.network import client_ip
from tipiportal.roles import administrator_required, agent_required, second_factor_missing, second_factor_needed

PENDING = "staff_login_pending"
PENDING_SECONDS = 600  # between the password and the code
DEFAULT_NEXT = "/gestion/"
TOO_MANY_LOGINS = (
    "Trop de tentatives de connexion : patientez 15 minutes avant de réessayer, "
    "ou demandez à un administrateur de la gestion."
)
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return DEFAULT_NEXT


def _next(request: HttpRequest) -> str:
    pending = request.session.get(PENDING) or {}
    return _safe_next(request, request.POST.get("next") or request.GET.get("next") or pending.get("next"))


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _pending_user(request: HttpRequest):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    return get_user_model().objects.filter(pk=pending["user"], is_active=True, is_staff=True).first()


def _logging_in(request: HttpRequest):
    """Who is completing a login: the password was checked in this session, or they are logged in
    already (through the citizens' login, say) and owe the second factor."""
    user = _pending_user(request)
    if user is not None:
        return user
    if request.user.is_authenticated and request.user.is_active and request.user.is_staff:
        return request.user
    return None


def _complete(request: HttpRequest, user, device) -> HttpResponse:
    next_url = _next(request)
    backend = (request.session.get(PENDING) or {}).get("backend")
    if not request.user.is_authenticated or request.user.pk != user.pk:
        auth_login(request, user, backend=backend)
    otp_login(request, device)
    request.session.pop(PENDING, None)
    return redirect(next_url)


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    if request.user.is_authenticated and request.user.is_active and request.user.is_staff:
        if second_factor_missing(request):
            return redirect(_with_next("staff_auth:verify", next_url))
        if request.method == "GET":
            return redirect(next_url)
    form = StaffLoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            staff = staff_password_check(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                address=client_ip(request),
            )
        except StaffLoginThrottled:
            form.add_error(None, TOO_MANY_LOGINS)
            status = 429
        except StaffLoginRefused:
            form.add_error(None, BAD_CREDENTIALS)
        else:
            if not second_factor_needed(staff):
                auth_login(request, staff)
                return redirect(next_url)
            request.session.cycle_key()  # a new session id once the password is known good
            request.session[PENDING] = {"user": staff.pk, "backend": staff.backend, "next": next_url, "at": time.time()}
            return redirect("staff_auth:verify" if user_has_device(staff) else "staff_auth:enrol")
    return render(request, "staff/login.html", {"form": form, "next": next_url}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    user = _logging_in(request)
    if user is None:
        return redirect_to_login(_next(request), reverse("admin:login"))
    if not user_has_device(user):
        return redirect(_with_next("staff_auth:enrol", _next(request)))
    if request.user.pk == user.pk and not second_factor_missing(request):
        return redirect(_next(request))
    form = OtpTokenForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = staff_otp_verify(user=user, token=form.cleaned_data["otp_token"])
        except StaffLoginThrottled:
            form.add_error(None, TOO_MANY_LOGINS)
            status = 429
        else:
            if device is not None:
                return _complete(request, user, device)
            form.add_error("otp_token", BAD_CODE)
    return render(request, "staff/otp_verify.html", {"form": form, "next": _next(request)}, status=status)


def _qr_code(device) -> tuple[str, str]:
    """The enrolment QR code (an SVG data: URI, allowed by the CSP) and the key to type by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return segno.make(device.config_url, micro=False).svg_data_uri(scale=5), " ".join(
        secret[i : i + 4] for i in range(0, len(secret), 4)
    )


@never_cache
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    user = _logging_in(request)
    if user is None:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if user_has_device(user):
        # A second device only through a reset by an administrator: whoever holds the password
        # alone must not be able to add one.
        if request.user.pk == user.pk and not second_factor_missing(request):
            return render(request, "staff/otp_enrol.html", {"enrolled": True})
        return redirect(_with_next("staff_auth:verify", _next(request)))
    device = staff_otp_device_pending(user=user)
    form = OtpTokenForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = staff_otp_verify(user=user, token=form.cleaned_data["otp_token"], enrolling=True)
        except StaffLoginThrottled:
            form.add_error(None, TOO_MANY_LOGINS)
            status = 429
        else:
            if confirmed is not None:
                messages.success(
                    request, "Double authentification activée : le code vous sera demandé à chaque connexion."
                )
                return _complete(request, user, confirmed)
            form.add_error("otp_token", BAD_CODE)
    qr_code, secret = _qr_code(device)
    context = {"form": form, "qr_code": qr_code, "secret": secret, "next": _next(request), "username": user.username}
    return render(request, "staff/otp_enrol.html", context, status=status)


@administrator_required
@require_http_methods(["GET"])
def otp_devices(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/otp_devices.html", {"members": staff_members_with_devices()})


@administrator_required
@require_POST
def otp_device_reset(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(get_user_model(), pk=pk, is_staff=True)
    staff_otp_reset(user=member, by=request.user)
    messages.success(
        request,
        f"Double authentification de {member.username} réinitialisée : prochaine connexion avec le mot de passe, "
        "puis nouvel enrôlement.",
    )
    return redirect("staff_auth:devices")


class _StaffPasswordChange(PasswordChangeView):
    template_name = "staff/password_change.html"
    success_url = reverse_lazy("staff:home")

    def form_valid(self, form):
        messages.success(self.request, "Votre mot de passe est changé.")
        return super().form_valid(form)  # keeps this session logged in (update_session_auth_hash)


staff_password_change = agent_required(_StaffPasswordChange.as_view())
