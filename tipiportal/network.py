"""The client's address, trusting X-Forwarded-For only from the configured reverse proxies, and
the rate limits counted on it.

A forged header from anyone else is ignored, so that TIPI_RETURN_ALLOWED_IPS and the rate
limits cannot be fooled. Every rate limit of the portal (its own and allauth's) counts this
address: behind the proxy REMOTE_ADDR is the proxy's, the same for every citizen.
"""

import datetime
import hashlib
import ipaddress
import time
from dataclasses import dataclass
from functools import lru_cache

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from tipiportal.authority import authority_context
from tipiportal.models import RateCounter

TOO_MANY = "Trop de tentatives depuis votre connexion : patientez quelques minutes avant de réessayer."


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or, behind a trusted proxy, the last address it was not told by itself."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = _networks(tuple(settings.TRUSTED_PROXIES))
    if not proxies or not _trusted(remote, proxies):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    # Walk from the nearest hop: each trusted proxy vouches for the address before it.
    for address in reversed(forwarded):
        if not _trusted(address, proxies):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote  # garbage in the header: keep the proxy's own address
    return remote


class AccountAdapter(DefaultAccountAdapter):
    """allauth asks its adapter for the client's address (its login, sign-up and password reset
    limits are per address): give it ours rather than REMOTE_ADDR."""

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_ip(request) or super().get_client_ip(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Signed by the authority (templates/account/email/), request or not.
        super().send_mail(template_prefix, email, authority_context() | context)


# --- Rate limits: atomic counters in the database -----------------------------------------
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RateLimitHit:
    """One counted hit: allowed or not, and what rate_limit_release needs to take it back
    (`count`: this window's hits so far, this one included)."""

    key: str
    window_start: int
    count: int
    allowed: bool


def rate_parse(rate: str) -> tuple[int, int]:
    """'30/h', '5/15m' → (limit, window in seconds)."""
    amount, _, period = rate.partition("/")
    multiplier = int(period[:-1]) if period[:-1] else 1
    return int(amount), multiplier * _UNITS[period[-1]]


def rate_limit_consume(*, scope: str, value: str, rate: str) -> RateLimitHit:
    """Count one hit of `value` (an address, an account) against `rate` for `scope`.

    One statement increments and reads the counter, so N parallel hits get the counts 1…N and
    exactly `limit` are allowed (a cache's read-then-write let them all through). Sliding window:
    the previous window's hits weigh by how much of it still lies within the last period, so
    failures just before a window's edge still count just after it.
    """
    limit, seconds = rate_parse(rate)
    now = time.time()
    window_start = int(now) - int(now) % seconds
    key = hashlib.sha256(f"{scope}\0{value}".encode()).hexdigest()
    # Kept one more period: the next window weighs it.
    expires_at = datetime.datetime.fromtimestamp(window_start + 2 * seconds, tz=datetime.UTC)
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    key_c, start_c, count_c, expires_c = (
        connection.ops.quote_name(name) for name in ("key", "window_start", "count", "expires_at")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_c}, {start_c}, {count_c}, {expires_c}) VALUES (%s, %s, 1, %s) "
            f"ON CONFLICT ({key_c}, {start_c}) DO UPDATE SET {count_c} = {table}.{count_c} + 1 RETURNING {count_c}",
            [key, window_start, expires_at],
        )
        (count,) = cursor.fetchone()
    if count == 1:
        # A new window: drop the windows that are over (cheap, indexed), so the table stays small.
        RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    # The previous window is closed: its count no longer grows (only releases lower it).
    previous = RateCounter.objects.filter(key=key, window_start=window_start - seconds).values_list("count", flat=True)
    weight = 1 - (now - window_start) / seconds
    estimate = count + (previous.first() or 0) * weight
    return RateLimitHit(key=key, window_start=window_start, count=count, allowed=estimate <= limit)


def rate_limit_release(hit: RateLimitHit) -> None:
    """Take back a hit that should not count (a successful login counts no failure)."""
    RateCounter.objects.filter(key=hit.key, window_start=hit.window_start, count__gt=0).update(count=F("count") - 1)


def too_many_posts(request: HttpRequest, group: str, rate: str) -> bool:
    """Count this POST against the client address's budget for `group`."""
    if request.method != "POST":
        return False
    return not rate_limit_consume(scope=group, value=client_ip(request), rate=rate).allowed
