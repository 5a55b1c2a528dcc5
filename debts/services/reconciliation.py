"""Reconciliation: staff confirm that payments reached the accounts (mostly TIPI's: in progress → paid).

One by one (the debt's page), in bulk (ticked on the page), or from the CSV the authority's
accounting software exports (REFDET and payment date per line). Every debt goes through
`debt_mark_paid`, the one way a debt becomes paid: the same permission, the same states and the
same refusals as on the debt's page, each debt audited (DebtEvent with its reason, and the debt's
history); a wrong one is undone with `debt_undo_paid`. Each line is applied on its own: the good
lines of a file are applied, the bad ones are reported with their number and a French message.
"""

import csv
import datetime
import re
from dataclasses import dataclass, field

from django.utils import timezone

from debts.models import Debt
from debts.services.debts import DebtActionRefused, debt_mark_paid, debt_state_change_check
from payments.models import TipiClient

MAX_FILE_LINES = 5000  # one web request; a larger export is split (a message says so)


class ReconciliationFileRefused(Exception):
    """The file as a whole cannot be read (French message); no line was applied."""


@dataclass(frozen=True)
class FileLine:
    line_no: int
    refdet: str
    paid_on: datetime.date


@dataclass(frozen=True)
class LineIssue:
    line_no: int | None  # None for a debt ticked on the page
    refdet: str
    message: str


@dataclass(frozen=True)
class Applied:
    line_no: int | None
    debt: Debt
    paid_on: datetime.date | None = None


@dataclass
class ReconciliationReport:
    source: str  # the file name, or "sélection"
    client: TipiClient | None = None
    lines_read: int = 0
    header_skipped: bool = False
    applied: list[Applied] = field(default_factory=list)
    issues: list[LineIssue] = field(default_factory=list)


# --- Reading the accounting file (pure) ------------------------------------------------------

_DATE_FR = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")  # a spreadsheet saved "CSV (Windows)"


def parse_payment_date(value: str) -> datetime.date:
    """JJ/MM/AAAA or AAAA-MM-JJ, strictly; ValueError with a French message otherwise."""
    text = value.strip()
    if not text:
        raise ValueError("Date de paiement manquante.")
    if match := _DATE_FR.match(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _DATE_ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(f"Date de paiement « {text} » incorrecte : écrivez-la JJ/MM/AAAA ou AAAA-MM-JJ.")
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"Date de paiement « {text} » inexistante.") from None


def reconciliation_file_read(
    content: bytes, *, today: datetime.date
) -> tuple[list[FileLine], list[LineIssue], int, bool]:
    """The lines of an accounting export: REFDET then payment date, `;` or `,` separated,
    an optional header line (a first line without any digit). Extra columns are ignored.

    Returns the good lines, the bad ones (line number, French message), the number of lines
    read (blank lines aside) and whether a header was skipped.
    """
    text = _decode(content)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = ";" if ";" in first or "," not in first else ","
    good: list[FileLine] = []
    issues: list[LineIssue] = []
    seen: dict[str, int] = {}
    read = 0
    header = False
    reader = csv.reader(lines, delimiter=delimiter)
    for cells in reader:
        line_no = reader.line_num  # the file's line (a quoted cell may span lines)
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        read += 1
        if read == 1 and not any(ch.isdigit() for ch in "".join(cells)):
            header = True
            continue
        if read > MAX_FILE_LINES + header:
            limit = f"{MAX_FILE_LINES:_}".replace("_", "\u202f")
            raise ReconciliationFileRefused(
                f"Le fichier compte plus de {limit} lignes : découpez-le en plusieurs fichiers."
            )
        refdet = "".join(cells[0].split())
        if len(cells) < 2:
            issues.append(
                LineIssue(
                    line_no,
                    refdet,
                    "Ligne incomplète : deux colonnes sont attendues, la référence "
                    "(REFDET) et la date de paiement, séparées par « ; » ou « , ».",
                )
            )
            continue
        if not refdet:
            issues.append(LineIssue(line_no, "", "Référence de la dette (REFDET) manquante."))
            continue
        try:
            paid_on = parse_payment_date(cells[1])
        except ValueError as exc:
            issues.append(LineIssue(line_no, refdet, str(exc)))
            continue
        if paid_on > today:
            issues.append(LineIssue(line_no, refdet, f"Date de paiement {paid_on:%d/%m/%Y} dans le futur."))
            continue
        if refdet in seen:
            issues.append(LineIssue(line_no, refdet, f"Référence déjà présente à la ligne {seen[refdet]} du fichier."))
            continue
        seen[refdet] = line_no
        good.append(FileLine(line_no, refdet, paid_on))
    return good, issues, read, header


# --- Applying ---------------------------------------------------------------------------


def debts_reconcile(*, debt_ids: list[int], user, reason: str) -> ReconciliationReport:
    """The debts ticked on the page, each confirmed paid on its own (the others are reported).

    Raises PermissionDenied before anything when the user may not mark a debt paid.
    """
    debt_state_change_check(user=user)
    reason = reason.strip()
    if not reason:
        raise DebtActionRefused("Indiquez le motif : il est conservé dans l'historique de chaque dette.")
    report = ReconciliationReport(source="sélection")
    debts = Debt.objects.select_related("client").in_bulk(debt_ids)
    for debt_id in dict.fromkeys(debt_ids):
        debt = debts.get(debt_id)
        if debt is None:
            report.issues.append(LineIssue(None, str(debt_id), "Cette dette n'existe plus."))
            continue
        report.lines_read += 1
        try:
            done = debt_mark_paid(debt=debt, user=user, reason=f"Rapprochement : {reason}")
        except DebtActionRefused as refused:
            report.issues.append(LineIssue(None, debt.refdet, str(refused)))
        else:
            report.applied.append(Applied(None, done))
    return report


def reconciliation_file_apply(
    *, client: TipiClient, content: bytes, filename: str, user, today: datetime.date | None = None
) -> ReconciliationReport:
    """An accounting export: each good line's debt (of this client) confirmed paid, with the reason
    "Rapprochement fichier X, ligne N, payé le JJ/MM/AAAA"; every bad line reported.

    Raises ReconciliationFileRefused when the file as a whole cannot be used, PermissionDenied
    before reading it when the user may not mark a debt paid.
    """
    debt_state_change_check(user=user)
    today = today or timezone.localdate()
    lines, issues, read, header = reconciliation_file_read(content, today=today)
    report = ReconciliationReport(source=filename, client=client, lines_read=read, header_skipped=header)
    if read == 0 or (header and read == 1):
        raise ReconciliationFileRefused("Le fichier ne contient aucune ligne.")
    report.issues.extend(issues)
    refdets = [line.refdet for line in lines]
    debts: dict[str, Debt] = {}
    for start in range(0, len(refdets), 1000):
        chunk = refdets[start : start + 1000]
        held = Debt.objects.select_related("client").filter(client=client, refdet__in=chunk)
        debts.update((debt.refdet, debt) for debt in held)
    for line in lines:
        debt = debts.get(line.refdet)
        if debt is None:
            message = f"Référence (REFDET) inconnue pour le client {client.label}."
            report.issues.append(LineIssue(line.line_no, line.refdet, message))
            continue
        reason = f"Rapprochement fichier {filename}, ligne {line.line_no}, payé le {line.paid_on:%d/%m/%Y}"
        try:
            done = debt_mark_paid(debt=debt, user=user, reason=reason)
        except DebtActionRefused as refused:
            report.issues.append(LineIssue(line.line_no, line.refdet, str(refused)))
        else:
            report.applied.append(Applied(line.line_no, done, line.paid_on))
    report.issues.sort(key=lambda issue: issue.line_no or 0)
    return report
