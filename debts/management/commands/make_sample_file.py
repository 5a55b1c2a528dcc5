"""`manage.py make_sample_file`: realistic INDIGO / ROLMRE / PES V2 files for demos, tests, benchmarks."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from debts.importers.samples import write_sample
from debts.models import ImportBatch


class Command(BaseCommand):
    help = "Écrit un fichier de dettes réaliste (noms accentués, montants variés, part de lignes erronées choisie)."

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=[f.value for f in ImportBatch.Format])
        parser.add_argument("--count", type=int, required=True, help="nombre d'enregistrements (lignes ou pièces)")
        parser.add_argument("--bad-share", type=float, default=0.0, help="part de lignes erronées, de 0 à 1")
        parser.add_argument("--seed", type=int, default=0, help="graine : le même fichier pour la même graine")
        parser.add_argument("--encoding", default=None, help="encodage (par défaut celui du format)")
        parser.add_argument(
            "--output", "-o", type=Path, default=None, help="fichier à écrire (sinon la sortie standard)"
        )

    def handle(self, *args, **options):
        if options["count"] < 1 or not 0 <= options["bad_share"] <= 1:
            raise CommandError("--count doit être positif et --bad-share compris entre 0 et 1.")
        output = options["output"]
        out = output.open("wb") if output else sys.stdout.buffer
        try:
            stats = write_sample(
                options["format"],
                out,
                options["count"],
                seed=options["seed"],
                bad_share=options["bad_share"],
                encoding=options["encoding"],
            )
        finally:
            if output:
                out.close()
        self.stderr.write(
            f"{stats.records} enregistrements écrits ({stats.bad} erronés), {stats.debts} dettes attendues."
        )
