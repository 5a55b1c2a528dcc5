"""Demo data for `make run`: TIPI clients, debts in every state, logins. Idempotent."""

import datetime
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from debts.importers.samples import write_sample
from debts.imports import ImportRefused, debts_import, import_batch_create, import_file_discard
from debts.models import Debt, ImportBatch
from payments.models import TipiClient
from payments.tipi import compose_refdet

DEMO_ADMIN = ("admin", "admin-demo-2026")

CLIENTS = [
    # numcli, protocol, label, code recette
    ("012345", "indigo", "Commune de Démo – Restauration scolaire", ""),
    ("067890", "rolmre", "Régie des eaux de Démo", "EA"),
]


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent) et affiche les identifiants."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Les données de démonstration ne se chargent qu'en développement (DEBUG=1).")
        today = timezone.localdate()
        clients = {}
        for numcli, protocol, label, code_recette in CLIENTS:
            clients[protocol], _ = TipiClient.objects.update_or_create(
                numcli=numcli,
                defaults={"protocol": protocol, "label": label, "code_recette": code_recette, "state": "active"},
            )
        indigo, rolmre = clients["indigo"], clients["rolmre"]
        year = str(today.year)
        rows = [
            (indigo, {"codexer": year, "numtitre": "00000123", "numordre": "000001"}, 3808, "Cantine – septembre", 5, "Marie Lefèvre"),
            (indigo, {"codexer": year, "numtitre": "00000124", "numordre": "000001"}, 4520, "Cantine – octobre", 5, "Éric Çelik"),
            (indigo, {"codexer": year, "numtitre": "00000125", "numordre": "000001"}, 1290, "Garderie – octobre", 5, "Marie Lefèvre"),
            (indigo, {"codexer": year, "numtitre": "00000090", "numordre": "000001"}, 6100, "Cantine – mai", 120, "Jean Dupont"),
            (indigo, {"codexer": year, "numtitre": "00000200", "numordre": "000001"}, 65, "Photocopies", 5, "Jean Dupont"),
            (indigo, {"codexer": year, "numtitre": "00000201", "numordre": "000001"}, 180000, "Location de salle", 5, "Association Œuvres"),
            (rolmre, {"rolex": year, "rolrec": "EA", "roldeb": "00", "roldet": "8698509103613"}, 3808, "Facture d'eau – 1er semestre", 5, "Daniel Carpon"),
        ]
        for client, parts, cents, label, age_days, name in rows:
            refdet = compose_refdet(client.tipi_protocol, **parts)
            online_from = today - datetime.timedelta(days=age_days)
            Debt.objects.update_or_create(
                client=client,
                refdet=refdet,
                defaults={
                    "ref_parts": parts,
                    "amount_cents": cents,
                    "label": label,
                    "debtor_name": name,
                    "debtor_ref": name.upper().replace(" ", "")[:15],
                    "issued_on": online_from - datetime.timedelta(days=1),
                    "online_from": online_from,
                    "online_until": online_from + datetime.timedelta(days=client.online_delay_days),
                },
            )
        self._import_samples(clients)
        user_model = get_user_model()
        admin = user_model.objects.filter(username=DEMO_ADMIN[0]).first() or user_model.objects.create_superuser(
            DEMO_ADMIN[0], "admin@example.org", DEMO_ADMIN[1]
        )
        self.stdout.write(self.style.SUCCESS("Données de démonstration chargées."))
        for batch in ImportBatch.objects.filter(filename__startswith="demo-"):
            self.stdout.write(f"  Import {batch.filename} : {batch.imported} dettes, {batch.rejected} anomalies signalées")
        self.stdout.write(f"  Administration : /gestion/admin/  identifiant « {admin.username} », mot de passe « {DEMO_ADMIN[1]} »")
        self.stdout.write(f"  À payer (Restauration scolaire) : année {year}, titre 123, ordre 000001, montant 38,08")
        self.stdout.write(f"  À payer (Régie des eaux) : année {year}, facture 8698509103613, montant 38,08")
        self.stdout.write("  Carte de test : 1111 2222 3333 4444, date future (ex. 12/30), cryptogramme 123")

    def _import_samples(self, clients: dict[str, TipiClient]) -> None:
        """Generated files, imported as staff would import them (once: same file, same hash)."""
        for fmt, count in (("indigo", 120), ("rolmre", 120)):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"demo-{fmt}.txt"
                with path.open("wb") as out:
                    write_sample(fmt, out, count, seed=2026, bad_share=0.03)
                try:
                    batch = import_batch_create(
                        client=clients[fmt], fmt=fmt, path=path, filename=path.name, mode=ImportBatch.Mode.PARTIAL
                    )
                except ImportRefused:
                    continue  # already imported on an earlier run
                import_file_discard(batch=debts_import(batch=batch))
