"""`manage.py import_debts`: import a debt file and print its report.

Exit code 0 when everything asked was imported, 1 when lines were rejected, 2 on a fatal
error (unreadable file, same file already imported, wrong format).
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from debts.models import ImportBatch
from debts.selectors import batch_report_lines
from debts.services.imports import ImportRefused, debts_import, import_batch_create, import_file_discard
from payments.models import TipiClient


class Command(BaseCommand):
    help = "Importe un fichier de dettes (INDIGO, ROLMRE, PES V2 Recette) et affiche le compte rendu."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--client", required=True, help="numéro client TIPI")
        parser.add_argument("--format", required=True, choices=[f.value for f in ImportBatch.Format])
        parser.add_argument("--mode", choices=[m.value for m in ImportBatch.Mode], default=ImportBatch.Mode.COMPLETE)
        parser.add_argument("--dry-run", action="store_true", help="compte rendu seulement, rien n'est écrit")
        parser.add_argument("--encoding", default="", help="impose l'encodage (sinon il est reconnu)")

    def handle(self, *args, **options):
        client = TipiClient.objects.filter(numcli=options["client"]).first()
        if client is None:
            return self._fatal(f"Client TIPI inconnu : {options['client']} (voir « manage.py tipi_client list »).")
        path: Path = options["file"]
        if not path.is_file():
            return self._fatal(f"Fichier introuvable : {path}")
        try:
            batch = import_batch_create(
                client=client,
                fmt=options["format"],
                path=path,
                filename=path.name,
                mode=options["mode"],
                dry_run=options["dry_run"],
                encoding=options["encoding"],
            )
        except ImportRefused as exc:
            return self._fatal(str(exc))
        batch = debts_import(batch=batch)
        import_file_discard(batch=batch)
        for line in batch_report_lines(batch):
            self.stdout.write(line)
        if batch.state == ImportBatch.State.FAILED:
            sys.exit(2)
        if batch.rejected:
            sys.exit(1)

    def _fatal(self, message: str) -> None:
        self.stderr.write(message)
        sys.exit(2)
