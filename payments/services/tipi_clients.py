"""TIPI clients: configuration, test and activation URLs (annexes 6 and 11)."""

import logging
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction as db_transaction

from debts.models import Debt
from payments.models import (
    NUMCLI_MESSAGE,
    ROLMRE_CODE_RECETTE_MESSAGE,
    WEBSERVICE_REGIE_ONLY_MESSAGE,
    ClientProtocol,
    TipiClient,
    Transaction,
)
from payments.services.transactions import return_url, transaction_start
from payments.tipi import Anomaly, is_valid_numcli, test_url_params

logger = logging.getLogger(__name__)


# --- TIPI clients: configuration, test and activation URLs (annexes 6 and 11) ---------------

_CODE_RECETTE_RE = re.compile(r"^[A-Za-z0-9]{2}$")
ONLINE_DELAY_MIN, ONLINE_DELAY_MAX = 10, 360

#: The states an administrator may set by hand, from each state. `new` → `active` is not
#: among them: a client becomes active when TIPI's return to its activation URL (X) says `P`.
CLIENT_STATE_CHANGES: dict[str, frozenset[str]] = {
    TipiClient.State.NEW: frozenset({TipiClient.State.INACTIVE}),
    TipiClient.State.ACTIVE: frozenset({TipiClient.State.INACTIVE}),
    TipiClient.State.INACTIVE: frozenset({TipiClient.State.NEW, TipiClient.State.ACTIVE}),
}
#: The states a client may be created in.
CLIENT_CREATION_STATES = frozenset({TipiClient.State.NEW, TipiClient.State.INACTIVE})
_CLIENT_FIELDS = (
    "numcli",
    "protocol",
    "label",
    "online_delay_days",
    "code_recette",
    "accept_only_known_debts",
    "mode",
    "state",
)


def client_state_choices(*, client: TipiClient | None) -> list[str]:
    """The states the console offers for a client: the creation states, or its own and those
    it may move to by hand."""
    if client is None:
        return [state for state in TipiClient.State.values if state in CLIENT_CREATION_STATES]
    allowed = CLIENT_STATE_CHANGES[TipiClient.State(client.state)] | {client.state}
    return [state for state in TipiClient.State.values if state in allowed]


def _client_errors(
    *,
    client: TipiClient | None,
    numcli: str,
    protocol: str,
    label: str,
    online_delay_days: int | None,
    code_recette: str,
    mode: str,
    state: str,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not is_valid_numcli(numcli):
        error("numcli", NUMCLI_MESSAGE)
    elif TipiClient.objects.filter(numcli=numcli).exclude(pk=getattr(client, "pk", None)).exists():
        error("numcli", f"Un autre client TIPI porte déjà le numéro {numcli}.")
    if protocol not in ClientProtocol.values:
        error("protocol", "Choisissez le protocole du client : INDIGO, PES V2 Recette, ROLMRE ou Régie.")
    if not label:
        error("label", "Indiquez le libellé du client (le service, tel que les usagers le connaissent).")
    elif len(label) > 120:
        error("label", "Le libellé comporte 120 caractères au plus.")
    if online_delay_days is None or not ONLINE_DELAY_MIN <= online_delay_days <= ONLINE_DELAY_MAX:
        error("online_delay_days", "Le délai de mise en ligne est compris entre 10 et 360 jours.")
    if protocol == ClientProtocol.ROLMRE:
        if not _CODE_RECETTE_RE.fullmatch(code_recette):
            error("code_recette", ROLMRE_CODE_RECETTE_MESSAGE)
    elif code_recette:
        error("code_recette", "Le code recette ne concerne que les clients ROLMRE : laissez-le vide.")
    if mode not in TipiClient.Mode.values:
        error("mode", "Choisissez le mode de paiement : URL aller classique ou web-service PayFiP.")
    elif mode == TipiClient.Mode.WEBSERVICE and protocol != ClientProtocol.REGIE:
        error("mode", WEBSERVICE_REGIE_ONLY_MESSAGE)
    if state not in TipiClient.State.values:
        error("state", "Choisissez l'état du client.")
    elif client is None and state not in CLIENT_CREATION_STATES:
        error(
            "state",
            "Un client est créé « Nouveau » (ou « Inactif ») : il devient actif au retour de son URL "
            "d'activation (SAISIE=X).",
        )
    elif client is not None and state != client.state and state not in CLIENT_STATE_CHANGES[client.state]:
        if state == TipiClient.State.ACTIVE:  # from new
            message = (
                "Un client « Nouveau » devient actif au retour de son URL d'activation (SAISIE=X), "
                "pas à la main : lancez l'activation depuis la console de test."
            )
        else:  # active → new
            message = "Un client déjà activé par TIPI ne redevient pas « Nouveau »."
        error("state", message)
    if client is not None and (numcli != client.numcli or protocol != client.protocol):
        used = client.transactions.exists() or Debt.objects.filter(client=client).exists()
        if used:
            error(
                "numcli" if numcli != client.numcli else "protocol",
                "Ce client a déjà des dettes ou des paiements : son numéro et son protocole ne peuvent plus "
                "changer. Créez un autre client.",
            )
    return errors


def tipi_client_save(
    *,
    user,
    client: TipiClient | None = None,
    numcli: str,
    protocol: str,
    label: str,
    online_delay_days: int | None,
    code_recette: str = "",
    accept_only_known_debts: bool = False,
    mode: str = TipiClient.Mode.CLASSIC,
    state: str = TipiClient.State.NEW,
) -> TipiClient:
    """Create a TIPI client (`client=None`) or change one; the client's history records who.

    Raises ValidationError mapping each field to its French messages: NUMCLI of 6 digits and
    unique, online delay of 10 to 360 days, the code recette (2 alphanumerics) for ROLMRE
    only, the web-service mode for a régie only, a state an administrator may set by hand (CLIENT_STATE_CHANGES; activation comes
    from the X return), NUMCLI and protocol frozen once the client has debts or payments.
    The client row is locked, so a concurrent activation return is never overwritten.
    `user` is None for the IT department's command (no agent).
    """
    numcli, label, code_recette = numcli.strip(), " ".join(label.split()), code_recette.strip()
    with db_transaction.atomic():
        before = TipiClient.objects.select_for_update().get(pk=client.pk) if client is not None else None
        errors = _client_errors(
            client=before,
            numcli=numcli,
            protocol=protocol,
            label=label,
            online_delay_days=online_delay_days,
            code_recette=code_recette,
            mode=mode,
            state=state,
        )
        if errors:
            raise ValidationError(errors)
        values = {
            "numcli": numcli,
            "protocol": protocol,
            "label": label,
            "online_delay_days": online_delay_days,
            "code_recette": code_recette,
            "accept_only_known_debts": bool(accept_only_known_debts),
            "mode": mode,
            "state": state,
        }
        saved = before if before is not None else TipiClient()
        changed = [field for field in _CLIENT_FIELDS if before is None or getattr(before, field) != values[field]]
        if not changed:
            return before
        for field in changed:
            setattr(saved, field, values[field])
        # simple-history takes the user from the request; a command or a shell has none.
        saved._history_user = user
        try:
            with db_transaction.atomic():
                if before is None:
                    saved.save(force_insert=True)
                else:
                    saved.save(update_fields=changed)
        except IntegrityError:  # the same NUMCLI saved meanwhile by another administrator
            raise ValidationError({"numcli": [f"Un autre client TIPI porte déjà le numéro {numcli}."]}) from None
    action = "created" if before is None else "changed"
    logger.info("tipi client %s %s by %s", saved.numcli, action, getattr(user, "pk", None))
    return saved


class ClientAttemptRefused(Exception):
    """The portal refuses to build a test or activation URL for this client (before TIPI)."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


def tipi_client_attempt_start(
    *, client: TipiClient, saisie: str, email: str, with_return_url: bool, user
) -> Transaction:
    """A test (`saisie="T"`, any time) or activation (`"X"`, only while the client is new) URL.

    The imposed values of annex 6 (EXER 9999, the protocol's test REFDET, MONTANT 111111),
    the tester's e-mail, URLCL when asked (without it TIPI sends no return, so the portal
    never learns the outcome), the token in OBJET. The X check runs on the locked client row,
    before anything is built: an active client gets TIPI's own T4 guidance ("use T to test").
    Raises ClientAttemptRefused, or PaymentRefused for the portal's URL controls (MEL...).
    The administrator is kept as the transaction's user.
    """
    if saisie not in (Transaction.Saisie.TEST, Transaction.Saisie.ACTIVATION):
        raise ValueError(f"saisie: 'T' or 'X' expected, got {saisie!r}")
    with db_transaction.atomic():
        locked = TipiClient.objects.select_for_update().get(pk=client.pk)
        if saisie == Transaction.Saisie.ACTIVATION:
            if locked.state == TipiClient.State.ACTIVE:
                raise ClientAttemptRefused(Anomaly("T4", "saisie", locked.tipi_protocol).message("X"), code="T4")
            if locked.state == TipiClient.State.INACTIVE:
                raise ClientAttemptRefused(
                    "Ce client est « Inactif » sur le portail : repassez-le à « Nouveau » avant de lancer son "
                    "URL d'activation.",
                    code="inactive",
                )
        params = test_url_params(
            locked.tipi_protocol, locked.numcli, email.strip(), saisie, urlcl=return_url() if with_return_url else None
        )
        transaction = transaction_start(
            client=locked,
            refdet=params["refdet"],
            amount_cents=int(params["montant"]),
            email=params["mel"],
            saisie=saisie,
            params=params,
            user=user,
        )
    logger.info("tipi client %s: %s URL built by %s", locked.numcli, saisie, getattr(user, "pk", None))
    return transaction
