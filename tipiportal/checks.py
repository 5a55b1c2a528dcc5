"""What `manage.py check --deploy` refuses beyond Django's own checks (messages for operators).

The settings themselves refuse to start without SECRET_KEY or EMAIL_URL, or with a sandbox
(tipiportal/settings.py); what is left here can still start, and is said again at start
(TipiportalConfig.ready) so that it also shows in the web server's log.
"""

import ipaddress

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from payments.tipi import urlcl_address_problems

HELP_ALLOWED_IPS = (
    "Set TIPI_RETURN_ALLOWED_IPS to DGFiP's outgoing addresses (docs/deployment.md), "
    "or accept the risk explicitly with TIPI_RETURN_ACCEPT_ANY_SOURCE=1."
)


def return_source_problems() -> list[CheckMessage]:
    """Who may POST TIPI returns: in production, only the addresses in TIPI_RETURN_ALLOWED_IPS.

    Anyone who starts a payment sees every field TIPI echoes (OBJET included) in the URL aller:
    with any source allowed, they can post a "P" for their own attempt and have the debt paid.
    """
    if settings.DEBUG:
        return []
    entries = list(settings.TIPI_RETURN_ALLOWED_IPS)
    if not entries:
        if settings.TIPI_RETURN_ACCEPT_ANY_SOURCE:
            return []
        return [
            Error(
                "TIPI_RETURN_ALLOWED_IPS is empty: anyone may POST TIPI returns (forged payments).",
                hint=HELP_ALLOWED_IPS,
                id="tipiportal.E001",
            )
        ]
    problems: list[CheckMessage] = []
    for entry in entries:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            problems.append(
                Error(
                    f"TIPI_RETURN_ALLOWED_IPS: {entry!r} is neither an address nor a network (CIDR).",
                    hint=HELP_ALLOWED_IPS,
                    id="tipiportal.E002",
                )
            )
            continue
        if network.prefixlen == 0:
            problems.append(
                Error(
                    f"TIPI_RETURN_ALLOWED_IPS: {entry!r} lets every address through (forged payments).",
                    hint=HELP_ALLOWED_IPS,
                    id="tipiportal.E003",
                )
            )
    return problems


HELP_PORTAL_URL = (
    "Set PORTAL_PUBLIC_URL to the site's public address, e.g. https://paiement.ville.example: TIPI posts "
    "its returns (URLCL) only to a public, non-private address on the default port (80 for http, 443 for https)."
)


def portal_url_problems() -> list[CheckMessage]:
    """URLCL, built from PORTAL_PUBLIC_URL, as §4.3.1 and annexes 4 and 6 want it: "une adresse IP
    publique et non privée", on port 80 (http) or 443 (https). Development runs on 127.0.0.1.

    A host name is not resolved: the answer would depend on the network the check runs on.
    """
    if settings.DEBUG:
        return []
    url = settings.PORTAL_PUBLIC_URL
    if not url:
        return [
            Error(
                "PORTAL_PUBLIC_URL is not set: TIPI would have no return address (URLCL) to post results to.",
                hint=HELP_PORTAL_URL,
                id="tipiportal.E004",
            )
        ]
    return [
        Error(
            f"PORTAL_PUBLIC_URL {url!r} cannot receive TIPI's returns: {problem}.",
            hint=HELP_PORTAL_URL,
            id="tipiportal.E005",
        )
        for problem in urlcl_address_problems(url)
    ]


@register(Tags.security, deploy=True)
def check_return_sources(app_configs, **kwargs) -> list[CheckMessage]:
    return return_source_problems()


@register(Tags.security, deploy=True)
def check_portal_url(app_configs, **kwargs) -> list[CheckMessage]:
    return portal_url_problems()
