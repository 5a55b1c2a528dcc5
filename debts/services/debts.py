"""Business rules on debts. Every change of a debt's state happens here, row locked; and a
régie's invoice created by hand (the others come from imports)."""

import datetime
import unicodedata

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection
from django.db import transaction as db_transaction
from django.utils import timezone

from debts.models import Debt, DebtEvent, DebtorReference
from debts.selectors import debt_is_public_body
from payments.models import ClientProtocol, TipiClient
from payments.tipi import INVOICE_MAX_LENGTH, Anomaly, regie_refdet


def debt_payment_anomalies(*, debt: Debt, amount_cents: int, today: datetime.date) -> list[Anomaly]:
    """What TIPI would refuse about paying this debt now (M4; else R4, T5, R6, R11, R7).

    The portal holds the debt, so it can run these server-side controls itself before
    anything leaves, and tell the user in TIPI's own words. The amount comes first, against
    annex 10's order: anyone may type a reference on the public form, and only the pair printed
    together on the bill earns the debt's state (R6 shows the day it was paid, R11 the day it
    becomes payable). With another amount the answer is M4 alone, the same for every state.
    """
    protocol = debt.tipi_protocol
    if amount_cents != debt.amount_cents:
        return [Anomaly("M4", "montant", protocol)]
    anomalies: list[Anomaly] = []
    if debt.state == Debt.State.CANCELLED:
        anomalies.append(Anomaly("R4", "refdet", protocol))
        return anomalies
    if debt_is_public_body(debt):
        # Invoiced through Chorus Pro, not paid by card: T5's words ("ne peut actuellement pas
        # être payée par Internet… auprès de la Trésorerie") are the ones that fit.
        anomalies.append(Anomaly("T5", "refdet", protocol))
        return anomalies
    if debt.state in (Debt.State.IN_PROGRESS, Debt.State.PAID):
        anomalies.append(Anomaly("R6", "refdet", protocol))
    if debt.is_not_yet_online(today):
        anomalies.append(Anomaly("R11", "refdet", protocol))
    elif debt.is_expired(today):
        anomalies.append(Anomaly("R7", "refdet", protocol))
    return anomalies


TIPI_PAYMENT_REASON = "Retour TIPI : paiement accepté (P)"


def debt_payment_received(*, debt_id: int) -> list[str]:
    """A paid result arrived for this debt (`P` card, `V` debit): open → in_progress. Returns flags for staff.

    One conditional UPDATE (atomic in the database, and the return endpoint's hot path); the
    transaction's row lock is held by the caller. A paid result means money was taken, so it is never
    refused: a debt that was not open is flagged instead. When the debt moved, one INSERT … SELECT
    records the move in its history (no user: TIPI did it; TIPI_PAYMENT_REASON), so that the audit
    page reads open → in progress → paid rather than skip the step.
    """
    table, column = connection.ops.quote_name(Debt._meta.db_table), connection.ops.quote_name
    now = timezone.now()
    # Written out: this is the return endpoint's hot path (see payments/returns/queries.py).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column('state')} = %s, {column('updated_at')} = %s "
            f"WHERE {column('id')} = %s AND {column('state')} = %s",
            [
                Debt.State.IN_PROGRESS.value,
                connection.ops.adapt_datetimefield_value(now),
                debt_id,
                Debt.State.OPEN.value,
            ],
        )
        moved = cursor.rowcount
        if moved:
            sql, params = _history_copy_sql(debt_id=debt_id, at=now, reason=TIPI_PAYMENT_REASON)
            cursor.execute(sql, params)
    if moved:
        return []
    state = Debt.objects.filter(pk=debt_id).values_list("state", flat=True).first()
    return [f"debt_was_{state}"]


def _history_copy_sql(*, debt_id: int, at: datetime.datetime, reason: str) -> tuple[str, list]:
    """INSERT INTO the debt's history table a copy of the debt's row as it is now ("~", no user):
    what django-simple-history writes on a save, without the ORM. Columns come from the models'
    _meta, so a field added to Debt is copied too; a history column this does not know fails loudly."""
    history = Debt.history.model
    quote = connection.ops.quote_name
    copied = {field.name: field.column for field in history.tracked_fields}
    values = {
        "history_date": connection.ops.adapt_datetimefield_value(at),
        "history_change_reason": reason,
        "history_type": "~",
        "history_user": None,
    }
    columns, selected, params = [], [], []
    for field in history._meta.concrete_fields:
        if field.name == "history_id":
            continue  # the database numbers it
        columns.append(quote(field.column))
        if field.name in copied:
            selected.append(quote(copied[field.name]))
        else:
            selected.append("%s")
            params.append(values[field.name])
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(selected)} FROM {quote(Debt._meta.db_table)} WHERE {quote(Debt._meta.pk.column)} = %s"
    )
    return sql, [*params, debt_id]


class DebtActionRefused(Exception):
    """The action does not apply to the debt in its current state (French message)."""


# Changing a debt's state by hand (mark paid, cancel, undo a payment; on the debt's page or by
# reconciliation) takes this one permission. Agents and administrators hold it (tipiportal.roles,
# granted by the roles migration): whoever may reconcile may mark paid, and the reverse.
STATE_CHANGE_PERMISSION = "debts.reconcile_debt"

REASON_REQUIRED = "Indiquez le motif : il est conservé dans l'historique de la dette."

# action: (states it applies to, state after, French refusal for each other state)
_ACTIONS = {
    DebtEvent.Action.CANCEL: (
        (Debt.State.OPEN, Debt.State.IN_PROGRESS),
        Debt.State.CANCELLED,
        dict.fromkeys(
            (Debt.State.PAID, Debt.State.CANCELLED),
            "Seule une dette à payer ou en cours de validation peut être annulée.",
        ),
    ),
    # Paid by card (in progress: TIPI's P arrived) or by another means (still open: cheque, cash
    # at the Trésorerie); the same rule whether staff do it on the debt's page or reconcile.
    DebtEvent.Action.MARK_PAID: (
        (Debt.State.OPEN, Debt.State.IN_PROGRESS),
        Debt.State.PAID,
        {Debt.State.PAID: "La dette est déjà payée.", Debt.State.CANCELLED: "La dette est annulée."},
    ),
}


def debt_state_change_allowed(*, user) -> bool:
    return user is not None and user.has_perm(STATE_CHANGE_PERMISSION)


def debt_state_change_check(*, user) -> None:
    """PermissionDenied (a 403 for a view) unless this staff member may change a debt's state."""
    if not debt_state_change_allowed(user=user):
        raise PermissionDenied


def _debt_state_write(*, debt: Debt, action: str, target: str, user, reason: str) -> Debt:
    """The one writer of a staff change of state, the debt's row locked by the caller: the
    DebtEvent (who, why, before, after), then the save that django-simple-history records."""
    DebtEvent.objects.create(
        debt=debt, action=action, state_before=debt.state, state_after=target, reason=reason, user=user
    )
    debt.state = target
    debt._history_user = user  # the history row names them outside a request too (a command)
    debt.save(update_fields=["state", "updated_at"])
    return debt


def _debt_staff_action(*, debt: Debt, action: str, user, reason: str) -> Debt:
    allowed, target, refusals = _ACTIONS[action]
    debt_state_change_check(user=user)
    if not reason.strip():
        raise DebtActionRefused(REASON_REQUIRED)
    with db_transaction.atomic():
        locked = Debt.objects.select_for_update().get(pk=debt.pk)
        if locked.state not in allowed:
            raise DebtActionRefused(refusals[locked.state])
        return _debt_state_write(debt=locked, action=action, target=target, user=user, reason=reason.strip())


def debt_cancel(*, debt: Debt, user, reason: str) -> Debt:
    """Staff cancel a debt (cancelled title, error): it is no longer payable. Audited."""
    return _debt_staff_action(debt=debt, action=DebtEvent.Action.CANCEL, user=user, reason=reason)


def debt_mark_paid(*, debt: Debt, user, reason: str) -> Debt:
    """Staff confirm the payment (Hélios, a return file, another means of payment). Audited.

    The one way a debt becomes paid: the debt's page and the reconciliation (ticked, or a file)
    both call it, so the permission, the states and the refusals are the same on every path.
    Raises PermissionDenied, or DebtActionRefused with a French message.
    """
    return _debt_staff_action(debt=debt, action=DebtEvent.Action.MARK_PAID, user=user, reason=reason)


def debt_undo_paid(*, debt: Debt, user, reason: str) -> Debt:
    """Staff undo a payment confirmation made by mistake (wrong line of a reconciliation file).

    The debt goes back to the state it had before it was marked paid (in progress for a
    reconciled TIPI payment; open for a payment confirmed by another means), else in progress.
    Audited like the other actions, with the reason.
    """
    debt_state_change_check(user=user)
    if not reason.strip():
        raise DebtActionRefused(REASON_REQUIRED)
    with db_transaction.atomic():
        locked = Debt.objects.select_for_update().get(pk=debt.pk)
        if locked.state != Debt.State.PAID:
            raise DebtActionRefused("Seule une dette payée peut revenir à son état précédent.")
        marked = locked.events.filter(action=DebtEvent.Action.MARK_PAID).order_by("-at", "-pk").first()
        target = marked.state_before if marked is not None else Debt.State.IN_PROGRESS
        return _debt_state_write(
            debt=locked, action=DebtEvent.Action.UNDO_PAID, target=target, user=user, reason=reason.strip()
        )


# --- A régie's invoice created by hand -------------------------------------------------------

#: Why the debt exists, in its history (simple-history's change reason: 100 characters at most).
CREATED_BY_HAND_REASON = "Facture de régie saisie à la main par un agent"
_LIMITS = {"debtor_ref": 30, "debtor_name": 200, "debtor_address": 500, "label": 200}
_REQUIRED = {
    "invoice_reference": "Indiquez le numéro de la facture, tel qu'il est imprimé.",
    "debtor_ref": "Indiquez la référence du débiteur (la famille) : l'usager la rattache à son compte.",
    "debtor_name": "Indiquez le nom du débiteur.",
}


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in value if char != "\n")


def _regie_debt_errors(
    *, client: TipiClient, values: dict[str, str], amount_cents: int | None, issued_on, due_on
) -> tuple[dict[str, list[str]], str]:
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if client.protocol != ClientProtocol.REGIE:
        error("client", "Seules les factures d'une régie se saisissent à la main : les titres viennent d'Hélios.")
    for field, message in _REQUIRED.items():
        if not values[field]:
            error(field, message)
    for field, limit in _LIMITS.items():
        if len(values[field]) > limit:
            error(field, f"{limit} caractères au plus.")
    for field, value in values.items():
        if _has_control_characters(value):
            error(field, "Caractère de contrôle (tabulation…) interdit.")
    refdet = ""
    if values["invoice_reference"] and "invoice_reference" not in errors:
        if len(values["invoice_reference"]) > INVOICE_MAX_LENGTH:
            error("invoice_reference", f"{INVOICE_MAX_LENGTH} caractères au plus.")
        else:
            refdet = regie_refdet(values["invoice_reference"])
            held = Debt.objects.filter(client=client)
            if (
                held.filter(invoice_reference=values["invoice_reference"]).exists()
                or held.filter(refdet=refdet).exists()
            ):
                error("invoice_reference", "Cette facture est déjà enregistrée pour cette régie.")
    if amount_cents is None or amount_cents < 1:
        error("amount_cents", "Indiquez un montant positif, en euros.")
    if issued_on is None:
        error("issued_on", "Indiquez la date d'émission.")
    if due_on is None:
        error("due_on", "Indiquez la date d'échéance.")
    elif issued_on is not None and due_on < issued_on:
        error("due_on", "La date d'échéance ne peut pas précéder la date d'émission.")
    return errors, refdet


def debt_create(
    *,
    user,
    client: TipiClient,
    invoice_reference: str,
    debtor_ref: str,
    debtor_name: str,
    amount_cents: int | None,
    issued_on: datetime.date | None,
    due_on: datetime.date | None,
    debtor_address: str = "",
    label: str = "",
    today: datetime.date | None = None,
) -> Debt:
    """Create a régie invoice by hand (titres come from Hélios): payable online from today for the
    client's online delay; its REFDET by the import's rule (payments.tipi.regie_refdet).

    Raises PermissionDenied unless the user may change debts by hand, ValidationError mapping
    each field to its French messages otherwise (the client a régie, the invoice number not held
    yet, the required values, a positive amount, the due date not before the issue date).
    The debtor reference is created with its access code when it is new.
    """
    debt_state_change_check(user=user)
    today = today or timezone.localdate()
    values = {
        "invoice_reference": invoice_reference.strip(),
        "debtor_ref": debtor_ref.strip(),
        "debtor_name": " ".join(debtor_name.split()),
        "debtor_address": "\n".join(line.strip() for line in debtor_address.strip().splitlines() if line.strip()),
        "label": " ".join(label.split()),
    }
    with db_transaction.atomic():
        # The client's row locked: two agents saving the same invoice number are served in turn.
        client = TipiClient.objects.select_for_update().get(pk=client.pk)
        errors, refdet = _regie_debt_errors(
            client=client, values=values, amount_cents=amount_cents, issued_on=issued_on, due_on=due_on
        )
        if errors:
            raise ValidationError(errors)
        debtor, _ = DebtorReference.objects.get_or_create(client=client, reference=values["debtor_ref"])
        debt = Debt(
            client=client,
            refdet=refdet,
            ref_parts={"invoice": values["invoice_reference"]},
            amount_cents=amount_cents,
            debtor=debtor,
            issued_on=issued_on,
            due_on=due_on,
            online_from=today,
            online_until=today + datetime.timedelta(days=client.online_delay_days),
            **values,
        )
        debt._history_user = user
        debt._change_reason = CREATED_BY_HAND_REASON
        try:
            with db_transaction.atomic():
                debt.save(force_insert=True)
        except IntegrityError:  # pragma: no cover - the client's lock serialises the check above
            raise ValidationError({"invoice_reference": ["Cette facture est déjà enregistrée pour cette régie."]})
    return debt
