"""Citizen accounts and their debtor references: linking with the access code, by staff, unlinking."""

import datetime
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone

from debts.models import DebtorReference, LinkAttempt, ReferenceLink
from payments.models import TipiClient

LINK_FAILURES_ALLOWED = 5
LINK_FAILURE_WINDOW = datetime.timedelta(minutes=15)


class ReferenceLinkRefused(Exception):
    """The reference could not be linked (French message for the citizen)."""


def reference_link(*, user, client: TipiClient, reference: str, access_code: str) -> DebtorReference:
    """A citizen links a debtor reference to their account with the code printed on the bill.

    Failures are counted in the database (shared by every web process) and throttled. The
    account's row is locked while its attempts are counted, the code checked and the attempt
    recorded: parallel attempts queue up, so no more than LINK_FAILURES_ALLOWED codes are checked.
    """
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        since = timezone.now() - LINK_FAILURE_WINDOW
        if LinkAttempt.objects.filter(user=user, succeeded=False, at__gte=since).count() >= LINK_FAILURES_ALLOWED:
            raise ReferenceLinkRefused(
                "Trop d'essais infructueux : pour votre sécurité, réessayez dans 15 minutes "
                "ou contactez le service qui vous a envoyé la facture."
            )
        typed = "".join(access_code.split()).upper()
        debtor = None
        # The reference as typed, case and spaces aside (as the code): usually one candidate; two
        # references that differ only so ("dup 01", "DUP01") are told apart by their codes.
        for candidate in _references_like(client, reference):
            if secrets.compare_digest(typed.encode(), candidate.access_code.encode()):
                debtor = candidate
        if debtor is None:
            # Compare in constant time, against a dummy when the reference is unknown too.
            secrets.compare_digest(typed.encode(), ("-" * len(typed)).encode())
        succeeded = debtor is not None
        LinkAttempt.objects.create(user=user, succeeded=succeeded)
        if succeeded:
            ReferenceLink.objects.get_or_create(user=user, debtor=debtor)
    if not succeeded:
        # Raised after the commit, so that the failed attempt stays counted.
        raise ReferenceLinkRefused(
            "La référence ou le code d'accès est incorrect. Recopiez-les tels qu'ils figurent sur votre facture."
        )
    return debtor


def _references_like(client: TipiClient, reference: str) -> list[DebtorReference]:
    """The client's debtor references equal to the typed one once spaces are dropped and case ignored."""
    key = "".join(reference.split()).upper()
    if not key:
        return []
    return list(
        DebtorReference.objects.filter(client=client)
        .annotate(key=Replace(Upper("reference"), Value(" "), Value("")))
        .filter(key=key)
    )


def reference_link_by_staff(*, debtor: DebtorReference, user, staff) -> ReferenceLink:
    """Staff link a reference to a citizen's account (at the counter, on the phone)."""
    link, _ = ReferenceLink.objects.get_or_create(user=user, debtor=debtor, defaults={"linked_by": staff})
    return link


def reference_unlink(*, debtor: DebtorReference, user) -> None:
    """Remove a reference from an account (by the citizen, or by staff)."""
    ReferenceLink.objects.filter(user=user, debtor=debtor).delete()


# --- Reconciliation: undo a "paid" --------------------------------------------------------
