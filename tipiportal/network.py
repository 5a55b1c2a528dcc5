"""The client's address, trusting X-Forwarded-For only from the configured reverse proxies.

A forged header from anyone else is ignored, so that TIPI_RETURN_ALLOWED_IPS and the rate
limits cannot be fooled.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

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


def too_many_posts(request: HttpRequest, group: str, rate: str) -> bool:
    """Count this POST against the client address's budget for `group` (shared cache)."""
    return is_ratelimited(request, group=group, key="ip", rate=rate, method="POST", increment=True)
