"""The two staff roles: agents (money follow-up) and administrators (also TIPI clients, users).

Groups carry Django permissions (created by a data migration); views check permissions, never
group names. Citizens have neither and never reach these pages.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

AGENTS = "Agents"
ADMINISTRATORS = "Administrateurs"
AGENT_PERMISSIONS = [
    "debts.access_staff_pages",
    "debts.reconcile_debt",
    "debts.view_debt",
    "debts.view_importbatch",
    "payments.view_transaction",
    "payments.view_returnnotice",
    "payments.view_tipiclient",
]
ADMINISTRATOR_PERMISSION = "payments.manage_tipi_clients"  # what makes an administrator
ADMINISTRATOR_PERMISSIONS = AGENT_PERMISSIONS + [
    "payments.manage_tipi_clients",
    "payments.add_tipiclient",
    "payments.change_tipiclient",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
]


def second_factor_needed(user) -> bool:
    """Staff who enrolled a device always use it; administrators must, when STAFF_OTP_REQUIRED
    (on by default in production)."""
    from django_otp import user_has_device

    if user_has_device(user, confirmed=True):
        return True
    return settings.STAFF_OTP_REQUIRED and user.has_perm(ADMINISTRATOR_PERMISSION)


def second_factor_missing(request) -> bool:
    """A logged-in staff member who owes a TOTP code this session (django-otp's is_verified)."""
    user = request.user
    if not user.is_authenticated or not user.is_staff:
        return False
    verified = getattr(user, "is_verified", None)
    if verified is not None and verified():
        return False
    return second_factor_needed(user)


def _requires(permission: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated or not user.is_staff:
                # The staff login (staff.auth), served at the admin's login URL.
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if second_factor_missing(request):
                return redirect_to_login(request.get_full_path(), reverse("staff_auth:verify"))
            if not user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


agent_required = _requires("debts.access_staff_pages")
administrator_required = _requires(ADMINISTRATOR_PERMISSION)


def roles_install(group_model, permission_model) -> None:
    """Create (or complete) the two groups with their permissions. Idempotent.

    Called by the data migration (with historical models) and before creating a staff member,
    so that a database emptied by `flush` (browser tests do it) gets its roles back.
    """
    for name, codes in ((AGENTS, AGENT_PERMISSIONS), (ADMINISTRATORS, ADMINISTRATOR_PERMISSIONS)):
        group, _ = group_model.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            # A permission of a model that a later migration creates is added by that one.
            found = permission_model.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if found is not None:
                group.permissions.add(found)


def staff_member_create(*, username: str, email: str, password: str, role: str):
    """An agent or an administrator (Django staff, in the role's group); administrators also superusers
    of the admin console, where they manage users."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    if role not in (AGENTS, ADMINISTRATORS):
        raise ValueError(f"unknown role {role!r}")
    roles_install(Group, Permission)
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first() or user_model(username=username)
    user.email = email
    user.is_staff = True
    user.is_superuser = role == ADMINISTRATORS
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user
