"""Demo data for `make run`: TIPI clients, debts in every state, logins. Idempotent."""

import datetime
import tempfile
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from choruspro.models import ChorusAccount, ChorusSettings
from choruspro.services.public_bodies import public_body_mark
from debts.importers.samples import write_sample
from debts.models import Debt, DebtorReference, ImportBatch, ReferenceLink
from debts.services.debts import debt_payment_anomalies
from debts.services.imports import ImportRefused, debts_import, import_batch_create, import_file_discard
from payments.models import TipiClient
from payments.tipi import MONTANT_MAX_EXCLUSIVE, MONTANT_MIN, compose_refdet
from tipiportal.money import format_euros
from tipiportal.roles import ADMINISTRATORS, AGENTS, staff_member_create

DEMO_ADMIN = ("admin", "admin-demo-2026")
DEMO_AGENT = ("agent", "agent-demo-2026")
DEMO_CITIZEN = ("marie.lefevre@example.org", "citoyenne-demo-2026")
# Fixed in the demo only, so that the README can print them; real codes are random.
DEMO_REFERENCES = {
    "LEFEVRE01": "DEMOLEF226",
    "DUPONT01": "DEMODUP226",
    "CARPON01": "DEMOCAR226",
    "CELIK01": "DEMOCEL226",
    "FAMLEF01": "DEMOFAM226",
}

CLIENTS = [
    # numcli, protocol, label, code recette, mode
    ("012345", "indigo", "Commune de Démo – Restauration scolaire", "", "classic"),
    ("067890", "rolmre", "Régie des eaux de Démo", "EA", "classic"),
    # Régies (protocol 0): the canteen pays through PayFiP's web service (SAISIE W), the crèche
    # through the classic URL aller, which the classic sandbox plays.
    ("090909", "regie", "Régie cantine de Démo", "", "webservice"),
    ("090910", "regie", "Régie crèche de Démo", "", "classic"),
]
# Régie invoices of the demo citizen's family: client numcli, invoice number, cents, label, age in days.
REGIE_INVOICES = [
    ("090909", "FAC-2026-0042", 4250, "Cantine – novembre", 3),
    ("090909", "FAC-2026-0043", 1875, "Cantine – décembre", 1),
    ("090910", "CR20260117", 12800, "Crèche – novembre", 3),
]


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent) et affiche les identifiants."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Les données de démonstration ne se chargent qu'en développement (DEBUG=1).")
        today = timezone.localdate()
        clients = {}
        for numcli, protocol, label, code_recette, mode in CLIENTS:
            clients[numcli], _ = TipiClient.objects.update_or_create(
                numcli=numcli,
                defaults={
                    "protocol": protocol,
                    "label": label,
                    "code_recette": code_recette,
                    "mode": mode,
                    "state": "active",
                },
            )
        indigo, rolmre = clients["012345"], clients["067890"]
        year = str(today.year)
        rows = [
            (
                indigo,
                {"codexer": year, "numtitre": "00000123", "numordre": "000001"},
                3808,
                "Cantine – septembre",
                5,
                "Marie Lefèvre",
                "LEFEVRE01",
            ),
            (
                indigo,
                {"codexer": year, "numtitre": "00000124", "numordre": "000001"},
                4520,
                "Cantine – octobre",
                5,
                "Éric Çelik",
                "CELIK01",
            ),
            (
                indigo,
                {"codexer": year, "numtitre": "00000125", "numordre": "000001"},
                1290,
                "Garderie – octobre",
                5,
                "Marie Lefèvre",
                "LEFEVRE01",
            ),
            (
                indigo,
                {"codexer": year, "numtitre": "00000126", "numordre": "000001"},
                5210,
                "Cantine – novembre",
                2,
                "Marie Lefèvre",
                "LEFEVRE01",
            ),
            (
                indigo,
                {"codexer": year, "numtitre": "00000090", "numordre": "000001"},
                6100,
                "Cantine – mai",
                120,
                "Jean Dupont",
                "DUPONT01",
            ),
            (
                indigo,
                {"codexer": year, "numtitre": "00000127", "numordre": "000001"},
                2750,
                "Cantine – novembre",
                2,
                "Jean Dupont",
                "DUPONT01",
            ),
            (
                indigo,
                {"codexer": year, "numtitre": "00000200", "numordre": "000001"},
                65,
                "Photocopies",
                5,
                "Jean Dupont",
                "DUPONT01",
            ),
            (
                indigo,
                {"codexer": year, "numtitre": "00000201", "numordre": "000001"},
                180000,
                "Location de salle",
                5,
                "Jean Dupont",
                "DUPONT01",
            ),
            (
                rolmre,
                {"rolex": year, "rolrec": "EA", "roldeb": "00", "roldet": "8698509103613"},
                3808,
                "Facture d'eau – 1er semestre",
                5,
                "Daniel Carpon",
                "CARPON01",
            ),
        ]
        demo_debts = []
        for client, parts, cents, label, age_days, name, reference in rows:
            debtor, _ = DebtorReference.objects.update_or_create(
                client=client, reference=reference, defaults={"access_code": DEMO_REFERENCES[reference]}
            )
            parts = self._unpaid_parts(client, parts)
            refdet = compose_refdet(client.tipi_protocol, **parts)
            online_from = today - datetime.timedelta(days=age_days)
            debt, _ = Debt.objects.update_or_create(
                client=client,
                refdet=refdet,
                defaults={
                    "ref_parts": parts,
                    "amount_cents": cents,
                    "label": label,
                    "debtor_name": name,
                    "debtor_ref": reference,
                    "debtor": debtor,
                    "issued_on": online_from - datetime.timedelta(days=1),
                    "online_from": online_from,
                    "online_until": online_from + datetime.timedelta(days=client.online_delay_days),
                },
            )
            demo_debts.append(debt)
        regie_debts = self._regie_invoices(clients, today)
        self._import_samples({"indigo": indigo, "rolmre": rolmre, "regie": clients["090910"]})
        chorus_debt = self._chorus_demo(indigo, today)
        user_model = get_user_model()
        admin = staff_member_create(
            username=DEMO_ADMIN[0], email="admin@example.org", password=DEMO_ADMIN[1], role=ADMINISTRATORS
        )
        staff_member_create(username=DEMO_AGENT[0], email="agent@example.org", password=DEMO_AGENT[1], role=AGENTS)
        citizen = user_model.objects.filter(username=DEMO_CITIZEN[0]).first()
        if citizen is None:
            citizen = user_model.objects.create_user(DEMO_CITIZEN[0], DEMO_CITIZEN[0], DEMO_CITIZEN[1])
            EmailAddress.objects.create(user=citizen, email=citizen.email, verified=True, primary=True)
        for reference in ("LEFEVRE01", "FAMLEF01"):
            for debtor in DebtorReference.objects.filter(reference=reference):
                ReferenceLink.objects.get_or_create(user=citizen, debtor=debtor)
        self.stdout.write(self.style.SUCCESS("Données de démonstration chargées."))
        for batch in ImportBatch.objects.filter(filename__startswith="demo-"):
            self.stdout.write(
                f"  Import {batch.filename} : {batch.imported} dettes, {batch.rejected} anomalies signalées"
            )
        self.stdout.write(
            f"  Gestion (administrateur) : /gestion/  « {admin.username} », mot de passe « {DEMO_ADMIN[1]} »"
        )
        self.stdout.write(f"  Gestion (agent) : /gestion/  « {DEMO_AGENT[0]} », mot de passe « {DEMO_AGENT[1]} »")
        self.stdout.write(f"  Compte usager : /compte/  « {DEMO_CITIZEN[0]} », mot de passe « {DEMO_CITIZEN[1]} »")
        self.stdout.write(
            "  Ou créez votre compte (/compte/signup/ ; le lien de confirmation s'affiche dans ce terminal), puis "
            f"rattachez la référence « DUPONT01 » du service Restauration scolaire avec le code « {DEMO_REFERENCES['DUPONT01']} »"
        )
        self._print_payable(demo_debts + regie_debts, today)
        self.stdout.write("  Carte de test : 1111 2222 3333 4444, date future (ex. 12/30), cryptogramme 123")
        self.stdout.write(
            "  Chorus Pro (bac à sable) : /gestion/chorus-pro/parametres/ (administrateur) « Tester la connexion » ; "
            f"/gestion/chorus-pro/dettes/{chorus_debt.pk}/ (agent) : facture du Collège Jean Moulin à envoyer "
            "(code service INTENDANCE), statuts forcés sur /chorus-sandbox/"
        )

    def _unpaid_parts(self, client: TipiClient, parts: dict[str, str]) -> dict[str, str]:
        """The row's reference, or a fresh one when a demo paid it in an earlier run (TIPI, and its
        sandbox, would answer R6 for ever): the paid debt stays as it is, a new bill is payable now."""
        number_part = "roldet" if "roldet" in parts else "numtitre"
        while True:
            refdet = compose_refdet(client.tipi_protocol, **parts)
            if not Debt.objects.filter(client=client, refdet=refdet).exclude(state=Debt.State.OPEN).exists():
                return parts
            number = parts[number_part]
            parts = {**parts, number_part: str(int(number) + 1000).zfill(len(number))}

    def _print_payable(self, debts: list[Debt], today: datetime.date) -> None:
        """The references payable now, as the manual form asks for them (checked, not assumed)."""
        for debt in debts:
            card_amount = MONTANT_MIN <= debt.amount_cents < MONTANT_MAX_EXCLUSIVE  # M2, M3
            if not card_amount or debt_payment_anomalies(debt=debt, amount_cents=debt.amount_cents, today=today):
                continue  # expired, under 1 € or from 1 500 €: there to show TIPI's refusals
            parts = debt.ref_parts
            if debt.invoice_reference:
                mode = "web-service PayFiP" if debt.client.mode == TipiClient.Mode.WEBSERVICE else "URL aller classique"
                reference = f"facture {debt.invoice_reference} ({mode}, aussi dans le compte usager)"
            elif debt.client.protocol == "rolmre":
                reference = f"année {parts['rolex']}, facture {parts['roldet']}"
            else:
                reference = (
                    f"année {parts['codexer']}, titre {parts['numtitre'].lstrip('0')}, ordre {parts['numordre']}"
                )
            self.stdout.write(
                f"  À payer ({debt.client.label}, {debt.debtor_ref}) : {reference}, montant {format_euros(debt.amount_cents)}"
            )

    def _regie_invoices(self, clients: dict[str, TipiClient], today: datetime.date) -> list[Debt]:
        """The demo family's régie invoices, with their numbers as printed (REFDET derived); one
        paid in an earlier run stays as it is and a fresh invoice is payable now (as for titres)."""
        invoices = []
        for numcli, printed_number, cents, label, age_days in REGIE_INVOICES:
            client = clients[numcli]
            number, again = printed_number, 1
            while Debt.objects.filter(client=client, invoice_reference=number).exclude(state=Debt.State.OPEN).exists():
                again += 1
                number = f"{printed_number}-{again}"
            debtor, _ = DebtorReference.objects.update_or_create(
                client=client, reference="FAMLEF01", defaults={"access_code": DEMO_REFERENCES["FAMLEF01"]}
            )
            online_from = today - datetime.timedelta(days=age_days)
            debt, _ = Debt.objects.update_or_create(
                client=client,
                refdet=compose_refdet(client.tipi_protocol, invoice=number),
                defaults={
                    "ref_parts": {"invoice": number},
                    "invoice_reference": number,
                    "amount_cents": cents,
                    "label": label,
                    "debtor_name": "Marie Lefèvre",
                    "debtor_address": "12 rue des Lilas\n99000 DÉMO",
                    "debtor_ref": debtor.reference,
                    "debtor": debtor,
                    "issued_on": online_from,
                    "due_on": online_from + datetime.timedelta(days=30),
                    "online_from": online_from,
                    "online_until": online_from + datetime.timedelta(days=client.online_delay_days),
                },
            )
            invoices.append(debt)
        return invoices

    def _import_samples(self, clients: dict[str, TipiClient]) -> None:
        """Generated files, imported as staff would import them (once: same file, same hash)."""
        for fmt, count in (("indigo", 120), ("rolmre", 120), ("regie", 60)):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"demo-{fmt}.{'csv' if fmt == 'regie' else 'txt'}"
                with path.open("wb") as out:
                    write_sample(fmt, out, count, seed=2026, bad_share=0.03)
                try:
                    batch = import_batch_create(
                        client=clients[fmt], fmt=fmt, path=path, filename=path.name, mode=ImportBatch.Mode.PARTIAL
                    )
                except ImportRefused:
                    continue  # already imported on an earlier run
                import_file_discard(batch=debts_import(batch=batch))

    def _chorus_demo(self, client: TipiClient, today: datetime.date) -> Debt:
        """A public-body debtor (invoiced through Chorus Pro, never offered card payment) and the
        authority's Chorus Pro settings, matching the sandbox's demo structures."""
        ChorusSettings.objects.update_or_create(
            pk=1,
            defaults={
                "supplier_siret": "21990001600011",
                "supplier_name": "COMMUNE DE DÉMO",
                "supplier_address": "1 place de la Mairie\n99000 DÉMO",
                "iban": "FR14 2004 1010 0505 0001 3M02 606",
                "bic": "BDFEFRPPCCT",
                "bank_label": "Trésorerie de Démo",
            },
        )
        # The demo's client secret is due for renewal soon: the warning shows on the staff home.
        ChorusAccount.objects.update_or_create(
            environment="qualification",
            defaults={
                "password_expires_on": today + datetime.timedelta(days=365),
                "secret_renewed_on": today - datetime.timedelta(days=80),
            },
        )
        debtor, _ = DebtorReference.objects.get_or_create(client=client, reference="COLLEGE01")
        parts = {"codexer": str(today.year), "numtitre": "00000300", "numordre": "000001"}
        debt, _ = Debt.objects.update_or_create(
            client=client,
            refdet=compose_refdet(client.tipi_protocol, **parts),
            defaults={
                "ref_parts": parts,
                "amount_cents": 184250,
                "label": "Restauration scolaire – repas des élèves, octobre",
                "debtor_name": "COLLÈGE JEAN MOULIN",
                "debtor_address": "2 rue des Écoles\n42000 SAINT-ÉTIENNE",
                "debtor_ref": debtor.reference,
                "debtor": debtor,
                "issued_on": today - datetime.timedelta(days=6),
                "online_from": today - datetime.timedelta(days=5),
                "online_until": today + datetime.timedelta(days=55),
            },
        )
        # The structure is looked up by SIRET on first use (the sandbox is not up while this runs).
        public_body_mark(debtor=debtor, siret="19420012700018", lookup=False)
        return debt
