"""Reads on debts."""

from debts.models import Debt, ImportBatch
from payments.models import TipiClient


def debt_get_for_client(*, client: TipiClient, refdet: str) -> Debt | None:
    return Debt.objects.select_related("client").filter(client=client, refdet=refdet).first()


def batch_report_lines(batch: ImportBatch) -> list[str]:
    """The import report as text lines (command output; the staff page shows the same)."""
    lines = [
        f"Fichier : {batch.filename} ({batch.get_fmt_display()}, mode {batch.get_mode_display().lower()}"
        f"{', essai à blanc' if batch.dry_run else ''})",
        f"État : {batch.get_state_display()}",
    ]
    if batch.fatal_error:
        lines.append(f"Erreur : {batch.fatal_error}")
    lines += [
        f"Enregistrements lus : {batch.records_read}",
        f"Dettes importées : {batch.imported}",
        f"Lignes identiques ignorées : {batch.identical}",
        f"Anomalies : {batch.rejected}",
    ]
    for issue in batch.issues.all().iterator(chunk_size=2000):
        where = f"ligne {issue.line_no}" + (f" (pièce {issue.piece_id})" if issue.piece_id else "")
        lines.append(f"  {where} – {issue.field} = « {issue.value} » : {issue.message}")
    return lines
