"""What `manage.py check --deploy` refuses beyond Django's own checks (messages for operators).

The settings themselves refuse to start without SECRET_KEY or EMAIL_URL, or with a sandbox
(tipiportal/settings.py); what is left here can still start, and is said again at start
(TipiportalConfig.ready) so that it also shows in the web server's log.
"""

import ipaddress

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

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


@register(Tags.security, deploy=True)
def check_return_sources(app_configs, **kwargs) -> list[CheckMessage]:
    return return_source_problems()
