"""Staff authentication: the password check under two atomic counters (account, address), the
TOTP code check under a lock on the device, enrolment and reset of devices."""

import logging

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from tipiportal.network import rate_limit_consume, rate_limit_release

logger = logging.getLogger(__name__)

DEVICE_NAME = "Application d'authentification"


class StaffLoginRefused(Exception):
    """Wrong credentials, or not a staff account (one message: no account enumeration)."""


class StaffLoginThrottled(Exception):
    """Too many failures for this account or from this address: even the right password waits."""


def _rate(limit: int) -> str:
    return f"{limit}/{settings.STAFF_LOGIN_FAILURE_WINDOW}"


def staff_password_check(*, username: str, password: str, address: str):
    """The staff member with these credentials, or StaffLoginRefused / StaffLoginThrottled.

    Each attempt is counted before the password is checked (one atomic statement per counter),
    so parallel attempts cannot check more than the limit; a success takes its count back.
    """
    hits = [
        rate_limit_consume(
            scope="staff-login-account",
            value=username.strip().lower(),
            rate=_rate(settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT),
        ),
        rate_limit_consume(
            scope="staff-login-address", value=address, rate=_rate(settings.STAFF_LOGIN_FAILURES_PER_ADDRESS)
        ),
    ]
    if not all(hit.allowed for hit in hits):
        logger.warning("staff login throttled")
        raise StaffLoginThrottled
    user = authenticate(None, username=username, password=password)
    if user is None or not user.is_active or not user.is_staff:
        raise StaffLoginRefused
    for hit in hits:
        rate_limit_release(hit)
    return user


def staff_otp_verify(*, user, token: str, enrolling: bool = False) -> TOTPDevice | None:
    """The device that accepts this code (confirmed one, or the pending one when enrolling).

    Codes are counted per account like passwords; the device row is locked while the code is
    checked and its last used step saved, so a code is accepted once.
    """
    hit = rate_limit_consume(
        scope="staff-otp", value=str(user.pk), rate=_rate(settings.STAFF_LOGIN_FAILURES_PER_ACCOUNT)
    )
    if not hit.allowed:
        logger.warning("staff second factor throttled")
        raise StaffLoginThrottled
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=not enrolling).order_by("-pk").first()
        )
        if device is None or not device.verify_token(token):
            return None
        if enrolling:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            logger.info("staff second factor enrolled", extra={"staff_user": user.pk})
    rate_limit_release(hit)
    return device


def staff_otp_device_pending(*, user) -> TOTPDevice:
    """The device being enrolled (created unconfirmed the first time the page is shown)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def staff_otp_reset(*, user, by=None) -> int:
    """Remove a staff member's devices (a lost phone): next login with the password only, then
    enrolment again (required for administrators in production). Returns how many were removed."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    logger.warning(
        "staff second factor reset", extra={"staff_user": user.pk, "by": getattr(by, "pk", None), "removed": removed}
    )
    return removed
