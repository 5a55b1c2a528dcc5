"""The audit trail of debts and TIPI clients (django-simple-history), as staff read it."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import CharField, QuerySet, Value
from django.utils import timezone

from debts.models import Debt, DebtEvent
from debts.services.debts import TIPI_PAYMENT_REASON
from payments.models import TipiClient
from tipiportal.money import format_euros

# --- Audit trail (django-simple-history) -----------------------------------------------------

HISTORY_TYPES = {"+": "Création", "~": "Modification", "-": "Suppression"}
REASON_WINDOW = datetime.timedelta(seconds=10)


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class AuditEntry:
    kind: str  # "debt" or "client"
    at: datetime.datetime
    user: object | None
    type_label: str
    object_id: int
    object_label: str
    changes: list[Change]
    reason: str = ""
    before_unknown: bool = False


def _history_models():
    return Debt.history.model, TipiClient.history.model


def _display(model_field, value, client_labels: dict[int, str]) -> str:
    if value is None or value == "":
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.name == "amount_cents":
        return format_euros(value)
    if model_field.is_relation:
        if model_field.name == "client":
            return client_labels.get(value, f"n° {value}")
        return f"n° {value}"
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, datetime.datetime):
        return f"{timezone.localtime(value):%d/%m/%Y %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, dict):
        return ", ".join(f"{key} = {item}" for key, item in value.items()) or "—"
    return str(value)


def _changes(record, previous, client_labels) -> list[Change]:
    changes = []
    for model_field in record.tracked_fields:
        if model_field.primary_key:
            continue
        name = model_field.attname
        after = getattr(record, name)
        before = getattr(previous, name) if previous is not None else None
        if previous is not None and before == after:
            continue
        if previous is None and (after is None or after == "" or after == {}):
            continue
        changes.append(
            Change(
                label="montant" if model_field.name == "amount_cents" else str(model_field.verbose_name),
                before=_display(model_field, before, client_labels) if previous is not None else "—",
                after=_display(model_field, after, client_labels),
            )
        )
    return changes


def _entries(records: list, kind: str) -> list[AuditEntry]:
    """Audit entries for these historical records, with each one's changes against the record before
    it and, for a debt's state change, the reason its DebtEvent holds. A fixed number of queries."""
    if not records:
        return []
    model = type(records[0])
    object_ids = {record.id for record in records}
    earlier = defaultdict(list)
    for row in model.objects.filter(id__in=object_ids).order_by("history_date", "history_id"):
        earlier[row.id].append(row)
    client_ids = {record.client_id for record in records if kind == "debt"}
    for rows in earlier.values():
        client_ids |= {row.client_id for row in rows if kind == "debt"}
    client_labels = dict(TipiClient.objects.filter(pk__in=client_ids).values_list("pk", "label")) if client_ids else {}
    events = defaultdict(list)
    if kind == "debt":
        for event in DebtEvent.objects.filter(debt_id__in=object_ids).order_by("at", "pk"):
            events[event.debt_id].append(event)
    entries = []
    for record in records:
        rows = earlier[record.id]
        position = next(i for i, row in enumerate(rows) if row.history_id == record.history_id)
        previous = rows[position - 1] if position > 0 else None
        before_unknown = previous is None and record.history_type == "~"
        changes = _changes(record, previous, client_labels) if record.history_type != "-" else []
        if before_unknown and kind == "debt":
            changes = _first_change(record, events.get(record.id, []), client_labels)
            before_unknown = _known_state_before(record, events.get(record.id, [])) is None
        # A client's reason is simple-history's own (e.g. its activation by TIPI's X return).
        reason = (record.history_change_reason or "") if kind == "client" else ""
        if kind == "debt" and (previous is None or previous.state != record.state):
            reason = _reason(record, events.get(record.id, []))
        entries.append(
            AuditEntry(
                kind=kind,
                at=record.history_date,
                user=record.history_user,
                type_label=HISTORY_TYPES.get(record.history_type, record.history_type),
                object_id=record.id,
                object_label=record.refdet if kind == "debt" else f"{record.numcli} – {record.label}",
                changes=changes,
                reason=reason,
                before_unknown=before_unknown,
            )
        )
    return entries


def _matching_event(record, events: list[DebtEvent]) -> DebtEvent | None:
    for event in events:
        if (
            event.state_after == record.state
            and event.user_id == record.history_user_id
            and abs(event.at - record.history_date) <= REASON_WINDOW
        ):
            return event
    return None


def _reason(record, events: list[DebtEvent]) -> str:
    # A staff action's reason is in its DebtEvent; a change without one (TIPI's P) may carry its own.
    event = _matching_event(record, events)
    return event.reason if event else record.history_change_reason or ""


def _known_state_before(record, events: list[DebtEvent]) -> str | None:
    """The state a debt had before a change its history holds no earlier row for: the staff
    action's, or open for TIPI's P (the return only ever moves an open debt); else None."""
    event = _matching_event(record, events)
    if event is not None:
        return event.state_before
    if record.history_change_reason == TIPI_PAYMENT_REASON:
        return Debt.State.OPEN
    return None


def _first_change(record, events, client_labels) -> list[Change]:
    """The first change of a debt created by an import (whose creation has no history row):
    its state before is known from the staff action or the TIPI return that made the change."""
    state_field = record.instance_type._meta.get_field("state")
    known = _known_state_before(record, events)
    before = _display(state_field, known, client_labels) if known else "non enregistré"
    return [Change(str(state_field.verbose_name), before, _display(state_field, record.state, client_labels))]


def audit_trail(*, user: str = "", kind: str = "") -> QuerySet:
    """Every recorded change of a debt or a TIPI client, newest first, as (history_id, date, kind)
    rows to paginate; `audit_entries` turns a page of them into entries."""
    debt_history, client_history = _history_models()
    parts = []
    for name, model in (("debt", debt_history), ("client", client_history)):
        if kind and kind != name:
            continue
        rows = model.objects.all()
        if user == "system":
            rows = rows.filter(history_user__isnull=True)
        elif user:
            rows = rows.filter(history_user_id=user)
        rows = rows.annotate(kind=Value(name, output_field=CharField()))
        parts.append(rows.values_list("history_id", "history_date", "kind").order_by())
    trail = parts[0] if len(parts) == 1 else parts[0].union(parts[1], all=True)
    return trail.order_by("-history_date", "-history_id")


def audit_entries(rows) -> list[AuditEntry]:
    debt_history, client_history = _history_models()
    ids = {"debt": [], "client": []}
    for history_id, _, kind in rows:
        ids[kind].append(history_id)
    records = {}
    for kind, model in (("debt", debt_history), ("client", client_history)):
        fetched = list(model.objects.select_related("history_user").filter(history_id__in=ids[kind]))
        for entry, record in zip(_entries(fetched, kind), fetched):
            records[(kind, record.history_id)] = entry
    return [records[(kind, history_id)] for history_id, _, kind in rows if (kind, history_id) in records]


def debt_audit_entries(debt: Debt) -> list[AuditEntry]:
    """Every recorded change of one debt, newest first."""
    records = list(debt.history.select_related("history_user").order_by("-history_date", "-history_id"))
    return _entries(records, "debt")


def client_audit_entries(client: TipiClient, *, limit: int | None = None) -> list[AuditEntry]:
    """Every recorded change of one TIPI client (console, command, activation return), newest first."""
    records = client.history.select_related("history_user").order_by("-history_date", "-history_id")
    return _entries(list(records[:limit] if limit else records), "client")


def staff_user(pk: int):
    return get_user_model().objects.filter(pk=pk, is_staff=True).first()
