"""Reads of the money follow-up pages: transactions, journal of returns, dashboard, exports.

Every list is one queryset built from the filters, so that the page and its export (same filter
form → same function) hold exactly the same rows; pages cost a constant number of queries.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from debts.models import Debt, DebtEvent
from payments.models import ReturnNotice, TipiClient, Transaction
from payments.tipi import DEBIT_RESULTS, resultrans_label
from tipiportal.money import euros_decimal

NO_ANSWER = "no_answer"
SUSPICIOUS_FILTER = "suspicious"
# Outcomes a staff member should look at: nothing was applied, or someone else is posting.
SUSPICIOUS_OUTCOMES = (
    ReturnNotice.Outcome.RECEIVED,  # stored but never processed
    ReturnNotice.Outcome.UNMATCHED,
    ReturnNotice.Outcome.REVIEW,  # without OBJET: maybe a real payment, maybe a forgery
    ReturnNotice.Outcome.CONFLICT,
    ReturnNotice.Outcome.MALFORMED,
    ReturnNotice.Outcome.REFUSED_IP,
)
# Flags notice_apply sets on a notice that still deserves a look (matched_without_token: on the
# notices to review; on applied ones too, from before returns without OBJET stopped being applied).
SUSPICIOUS_FLAG_PREFIXES = ("late_after_", "matched_without_token", "debt_was_", "unknown_resultrans", "payfip_")
FLAG_LABELS = {
    "matched_without_token": "retrouvé sans jeton (OBJET absent)",
    "unknown_resultrans": "code RESULTRANS inconnu du portail (non appliqué)",
    "late_after_abandoned": "paiement arrivé après l'abandon de la tentative",
    "late_after_refused": "paiement arrivé après un refus",
    "late_after_cancelled": "paiement arrivé après une annulation",
    "late_after_expired": "paiement arrivé après l'expiration de l'opération PayFiP (P1)",
    "payfip_mismatch": "réponse de PayFiP différente de ce qui a été envoyé (non appliquée)",
    "debt_was_in_progress": "la dette était déjà en cours de validation",
    "debt_was_paid": "la dette était déjà payée",
    "debt_was_cancelled": "la dette était annulée",
}
# Short column headers for the counts per day (the full labels are in the journal's filter).
OUTCOME_SHORT_LABELS = {
    "received": "Non traité",
    "applied": "Appliqué",
    "duplicate": "Doublon",
    "conflict": "Contradictoire",
    "unmatched": "Sans transaction",
    "review": "À vérifier",
    "malformed": "Mal formé",
    "refused_ip": "Adresse refusée",
}
MONEY_SAISIES = (Transaction.Saisie.MANUAL, Transaction.Saisie.ACCOUNT)  # T and X are TIPI's test URLs
CHART_DAYS = 90
OUTCOME_DAYS = 30


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of that day in the site's time zone (Europe/Paris)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _in_days(field_name: str, date_from: datetime.date | None, date_to: datetime.date | None) -> Q:
    q = Q()
    if date_from:
        q &= Q(**{f"{field_name}__gte": day_start(date_from)})
    if date_to:
        q &= Q(**{f"{field_name}__lt": day_start(date_to + datetime.timedelta(days=1))})
    return q


def flag_label(flag: str) -> str:
    return FLAG_LABELS.get(flag, flag)


# --- Transactions ------------------------------------------------------------------------


def no_answer_cutoff(now: datetime.datetime) -> datetime.datetime:
    """Pending attempts created before this have had no answer from TIPI (it may never call back)."""
    return now - datetime.timedelta(minutes=settings.TIPI_NO_ANSWER_AFTER_MINUTES)


def transaction_is_unanswered(transaction: Transaction, *, now: datetime.datetime) -> bool:
    return transaction.state == Transaction.State.PENDING and transaction.created_at < no_answer_cutoff(now)


def transactions_unanswered(*, now: datetime.datetime) -> QuerySet:
    return Transaction.objects.filter(state=Transaction.State.PENDING, created_at__lt=no_answer_cutoff(now))


def transactions_for_staff(
    *,
    now: datetime.datetime,
    client: TipiClient | None = None,
    state: str = "",
    saisie: str = "",
    resultrans: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    amount_min: int | None = None,
    amount_max: int | None = None,
    search: str = "",
) -> QuerySet:
    """The transactions list, filtered (amounts in cents, dates of creation, local days; RESULTRANS
    P, V, R, Z or A: the result and its means)."""
    transactions = Transaction.objects.select_related("client", "debt").defer("params", "url")
    transactions = transactions.order_by("-created_at", "-pk")
    if client is not None:
        transactions = transactions.filter(client=client)
    if state == NO_ANSWER:
        transactions = transactions.filter(state=Transaction.State.PENDING, created_at__lt=no_answer_cutoff(now))
    elif state:
        transactions = transactions.filter(state=state)
    if saisie:
        transactions = transactions.filter(saisie=saisie)
    if resultrans:
        transactions = transactions.filter(resultrans=resultrans)
    transactions = transactions.filter(_in_days("created_at", date_from, date_to))
    if amount_min is not None:
        transactions = transactions.filter(amount_cents__gte=amount_min)
    if amount_max is not None:
        transactions = transactions.filter(amount_cents__lte=amount_max)
    if search:
        transactions = transactions.filter(
            Q(refdet__icontains=search) | Q(numauto__iexact=search) | Q(email__iexact=search)
        )
    return transactions


def transaction_for_staff_detail(pk: int) -> Transaction:
    """A transaction with its client, debt and every return notice (raw bodies included)."""
    notices = ReturnNotice.objects.order_by("received_at", "pk")
    return (
        Transaction.objects.select_related("client", "debt", "debt__client")
        .prefetch_related(_prefetch("notices", notices))
        .get(pk=pk)
    )


def _prefetch(lookup: str, queryset: QuerySet):
    from django.db.models import Prefetch

    return Prefetch(lookup, queryset=queryset)


# --- Journal of returns -------------------------------------------------------------------


def suspicious_q() -> Q:
    q = Q(outcome__in=SUSPICIOUS_OUTCOMES)
    for prefix in SUSPICIOUS_FLAG_PREFIXES:
        q |= Q(flags__icontains=prefix)
    return q


def notice_is_suspicious(notice: ReturnNotice) -> bool:
    return notice.outcome in SUSPICIOUS_OUTCOMES or any(
        str(flag).startswith(SUSPICIOUS_FLAG_PREFIXES) for flag in notice.flags or []
    )


def notices_for_staff(
    *, outcome: str = "", date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> QuerySet:
    """Every return notice, newest first, filtered; with its transaction (no query per row)."""
    notices = ReturnNotice.objects.select_related("transaction").order_by("-received_at", "-pk")
    if outcome == SUSPICIOUS_FILTER:
        notices = notices.filter(suspicious_q())
    elif outcome:
        notices = notices.filter(outcome=outcome)
    return notices.filter(_in_days("received_at", date_from, date_to))


@dataclass
class DayCounts:
    day: datetime.date
    counts: list[int]  # in the order of ReturnNotice.Outcome
    total: int


def notice_counts_per_day(*, date_from: datetime.date, date_to: datetime.date) -> list[DayCounts]:
    """How many notices of each outcome arrived each day (local days), newest day first; days
    without any notice are left out. One query."""
    rows = (
        ReturnNotice.objects.filter(_in_days("received_at", date_from, date_to))
        .annotate(day=TruncDate("received_at"))
        .values("day", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_day: dict[datetime.date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        per_day[row["day"]][row["outcome"]] = row["n"]
    outcomes = ReturnNotice.Outcome.values
    return [
        DayCounts(day, [counts.get(outcome, 0) for outcome in outcomes], sum(counts.values()))
        for day, counts in sorted(per_day.items(), reverse=True)
    ]


def notice_outcome_counts(*, since: datetime.datetime) -> list[tuple[str, str, int, bool]]:
    """(outcome, label, count, suspicious) for every outcome, since that time."""
    counts = dict(
        ReturnNotice.objects.filter(received_at__gte=since).values_list("outcome").annotate(n=Count("id")).order_by()
    )
    return [
        (outcome, label, counts.get(outcome, 0), outcome in SUSPICIOUS_OUTCOMES)
        for outcome, label in ReturnNotice.Outcome.choices
    ]


# --- Reconciliation ------------------------------------------------------------------------


def debts_in_progress(*, client: TipiClient | None = None) -> QuerySet:
    """Debts a paid return (`P` card, `V` debit) put in progress, waiting for staff to confirm the
    payment, oldest first, with their latest paid transaction's date (DATTRANS), NUMAUTO and RESULTRANS."""
    from django.db.models import OuterRef, Subquery

    paid = Transaction.objects.filter(debt=OuterRef("pk"), state=Transaction.State.PAID).order_by("-settled_at", "-pk")
    debts = (
        Debt.objects.filter(state=Debt.State.IN_PROGRESS)
        .select_related("client")
        .annotate(
            paid_dattrans=Subquery(paid.values("dattrans")[:1]),
            paid_numauto=Subquery(paid.values("numauto")[:1]),
            paid_resultrans=Subquery(paid.values("resultrans")[:1]),
        )
        .order_by("updated_at", "pk")
    )
    if client is not None:
        debts = debts.filter(client=client)
    return debts


def reconciliations_recent(*, limit: int = 50) -> list[DebtEvent]:
    """The latest "marked paid" actions whose debt is still paid (what may be undone), once per debt."""
    events = (
        DebtEvent.objects.filter(action=DebtEvent.Action.MARK_PAID, debt__state=Debt.State.PAID)
        .select_related("debt", "debt__client", "user")
        .order_by("-at", "-pk")[:limit]
    )
    latest: dict[int, DebtEvent] = {}
    for event in events:  # newest first: keep each debt's latest
        latest.setdefault(event.debt_id, event)
    return list(latest.values())


# --- Dashboard -----------------------------------------------------------------------------


@dataclass
class ChartDay:
    day: datetime.date
    count: int
    cents: int


@dataclass
class Dashboard:
    today_count: int
    today_cents: int
    month_count: int
    month_cents: int
    debts_by_state: list[tuple[str, str, int, int]]  # state, label, count, cents
    daily: list[ChartDay]
    outcomes: list[tuple[str, str, int, bool]]
    unanswered_count: int
    unanswered: list[Transaction] = field(default_factory=list)
    month_by_means: list[tuple[str, int, int]] = field(default_factory=list)  # label, count, cents


def _paid_money(since: datetime.datetime, until: datetime.datetime | None = None) -> QuerySet:
    paid = Transaction.objects.filter(state=Transaction.State.PAID, saisie__in=MONEY_SAISIES, settled_at__gte=since)
    return paid.filter(settled_at__lt=until) if until else paid


def dashboard(*, now: datetime.datetime) -> Dashboard:
    """The figures of /gestion/suivi/: payments (transactions paid, by the day TIPI's return
    arrived; test and activation URLs left out), debts by state, 90 days of collected amounts,
    the returns' outcomes over 30 days, the attempts with no answer."""
    today = timezone.localtime(now).date()
    tomorrow = day_start(today + datetime.timedelta(days=1))
    today_totals = _paid_money(day_start(today), tomorrow).aggregate(n=Count("id"), cents=Sum("amount_cents"))
    debit = Q(resultrans__in=DEBIT_RESULTS)
    month_totals = _paid_money(day_start(today.replace(day=1)), tomorrow).aggregate(
        n=Count("id"),
        cents=Sum("amount_cents"),
        debit_n=Count("id", filter=debit),
        debit_cents=Sum("amount_cents", filter=debit),
    )
    month_cents, debit_cents = month_totals["cents"] or 0, month_totals["debit_cents"] or 0
    by_state = {
        row["state"]: (row["n"], row["cents"] or 0)
        for row in Debt.objects.values("state").annotate(n=Count("id"), cents=Sum("amount_cents")).order_by()
    }
    first_day = today - datetime.timedelta(days=CHART_DAYS - 1)
    per_day = {
        row["day"]: (row["n"], row["cents"] or 0)
        for row in _paid_money(day_start(first_day), tomorrow)
        .annotate(day=TruncDate("settled_at"))
        .values("day")
        .annotate(n=Count("id"), cents=Sum("amount_cents"))
        .order_by()
    }
    daily = []
    for offset in range(CHART_DAYS):
        day = first_day + datetime.timedelta(days=offset)
        count, cents = per_day.get(day, (0, 0))
        daily.append(ChartDay(day, count, cents))
    unanswered = transactions_unanswered(now=now).select_related("client", "debt").order_by("created_at", "pk")
    return Dashboard(
        today_count=today_totals["n"],
        today_cents=today_totals["cents"] or 0,
        month_count=month_totals["n"],
        month_cents=month_cents,
        debts_by_state=[(state, label, *by_state.get(state, (0, 0))) for state, label in Debt.State.choices],
        daily=daily,
        outcomes=notice_outcome_counts(since=day_start(today - datetime.timedelta(days=OUTCOME_DAYS - 1))),
        unanswered_count=unanswered.count(),
        unanswered=list(unanswered[:10]),
        month_by_means=[
            ("par carte", month_totals["n"] - month_totals["debit_n"], month_cents - debit_cents),
            ("par prélèvement", month_totals["debit_n"], debit_cents),
        ],
    )


# --- Exports -------------------------------------------------------------------------------

TRANSACTION_HEADERS = [
    "Créée le",
    "Client TIPI",
    "NUMCLI",
    "Référence (REFDET)",
    "Montant (€)",
    "SAISIE",
    "État",
    "Sans réponse",
    "RESULTRANS",
    "Résultat",
    "NUMAUTO",
    "DATTRANS",
    "Réglée le",
    "Adresse électronique",
    "Signalements",
]
DEBT_HEADERS = [
    "Client TIPI",
    "NUMCLI",
    "Référence (REFDET)",
    "Débiteur",
    "Référence du débiteur",
    "Objet",
    "Montant (€)",
    "Date d'émission",
    "Payable en ligne du",
    "Payable en ligne jusqu'au",
    "État",
]


def _local(value: datetime.datetime | None) -> datetime.datetime | None:
    """A naive local date-time (spreadsheets know no time zones)."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def transaction_export_rows(transactions: QuerySet, *, now: datetime.datetime):
    """One row per transaction of the list, in the list's order (values, not text)."""
    states, saisies = dict(Transaction.State.choices), dict(Transaction.Saisie.choices)
    for transaction in transactions.iterator(chunk_size=2000):
        yield [
            _local(transaction.created_at),
            transaction.client.label,
            transaction.client.numcli,
            transaction.refdet,
            euros_decimal(transaction.amount_cents),
            saisies.get(transaction.saisie, transaction.saisie),
            states.get(transaction.state, transaction.state),
            "oui" if transaction_is_unanswered(transaction, now=now) else "non",
            transaction.resultrans,
            resultrans_label(transaction.resultrans),
            transaction.numauto,
            transaction.dattrans,
            _local(transaction.settled_at),
            transaction.email,
            ", ".join(flag_label(flag) for flag in transaction.flags or []),
        ]


def debt_export_rows(debts: QuerySet):
    states = dict(Debt.State.choices)
    for debt in debts.defer("raw_record").iterator(chunk_size=2000):
        yield [
            debt.client.label,
            debt.client.numcli,
            debt.refdet,
            debt.debtor_name,
            debt.debtor_ref,
            debt.label,
            euros_decimal(debt.amount_cents),
            debt.issued_on,
            debt.online_from,
            debt.online_until,
            states.get(debt.state, debt.state),
        ]
