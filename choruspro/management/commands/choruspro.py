"""Chorus Pro from the command line (cron, systemd timers, support).

manage.py choruspro test-connection [--environment qualification|production]
manage.py choruspro send --debt REFDET [REFDET …] [--service-code CODE] [--engagement NUMBER]
manage.py choruspro poll          # every invoice not yet final: run it from cron / a systemd timer
manage.py choruspro detect        # public bodies designated by the imported files
"""

from django.core.management.base import BaseCommand, CommandError

from choruspro.models import ChorusInvoice, Environment
from choruspro.services import connection, follow_up
from choruspro.services import invoices as invoice_services
from choruspro.services import public_bodies as public_body_services
from debts.models import Debt


class Command(BaseCommand):
    help = "Chorus Pro : test de connexion, envoi de factures, suivi des statuts, détection des organismes publics."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        test = sub.add_parser(
            "test-connection", help="Teste le jeton PISTE, Chorus Pro et les droits du compte technique."
        )
        test.add_argument("--environment", choices=[e.value for e in Environment])
        send = sub.add_parser("send", help="Envoie sur Chorus Pro la facture de chaque dette (REFDET).")
        send.add_argument("--debt", nargs="+", required=True, metavar="REFDET")
        send.add_argument("--service-code", default="")
        send.add_argument("--engagement", default="")
        sub.add_parser("poll", help="Relève le statut des factures qui ne sont pas à un statut définitif.")
        sub.add_parser("detect", help="Désigne les organismes publics d'après les fichiers importés.")

    def handle(self, *args, action, **options):
        getattr(self, "_" + action.replace("-", "_"))(**options)

    def _test_connection(self, *, environment=None, **_):
        report = connection.connection_test(environment=environment)
        self.stdout.write(f"Environnement : {connection.environment_label(report.environment)}")
        for step in report.steps:
            mark = self.style.SUCCESS("OK") if step.ok else self.style.ERROR("ÉCHEC")
            self.stdout.write(f"  [{mark}] {step.label} – {step.detail}")
        for warning in connection.renewal_warnings():
            self.stdout.write(self.style.WARNING(f"  Attention : {warning}"))
        if not report.ok:
            raise CommandError("La connexion à Chorus Pro n'est pas établie.")
        self.stdout.write(self.style.SUCCESS("Connexion avec Chorus Pro établie."))

    def _send(self, *, debt, service_code="", engagement="", **_):
        requests = []
        for refdet in debt:
            found = list(Debt.objects.filter(refdet=refdet.strip()).select_related("client")[:2])
            if not found:
                raise CommandError(f"Aucune dette n'a la référence {refdet}.")
            if len(found) > 1:
                raise CommandError(
                    f"Plusieurs clients TIPI ont une dette {refdet} : envoyez-la depuis les pages de gestion."
                )
            requests.append(
                invoice_services.SendRequest(debt=found[0], service_code=service_code, engagement=engagement)
            )
        try:
            batch = invoice_services.invoices_send(requests=requests, enqueue=False)
        except invoice_services.SendRefused as refused:
            for message in refused.general:
                self.stderr.write(message)
            for request in requests:
                for messages in refused.by_debt.get(request.debt.pk, {}).values():
                    for message in messages:
                        self.stderr.write(f"{request.debt.refdet} : {message}")
            raise CommandError("Rien n'a été envoyé.") from None
        failed = 0
        for invoice in batch.invoices.order_by("pk"):
            invoice = invoice_services.invoice_submit(invoice_id=invoice.pk)
            if invoice.state == ChorusInvoice.State.SUBMITTED:
                self.stdout.write(
                    f"{invoice.debt.refdet} : facture {invoice.number} déposée (Chorus Pro n° {invoice.chorus_id})."
                )
            else:
                failed += 1
                self.stderr.write(f"{invoice.debt.refdet} : facture {invoice.number} non envoyée – {invoice.error}")
        if failed:
            raise CommandError(f"{failed} facture(s) non envoyée(s).")

    def _poll(self, **_):
        report = follow_up.invoices_poll()
        self.stdout.write(f"Factures consultées : {report.polled}, nouveaux statuts : {report.new_statuses}")
        if report.sendings_retried or report.sendings_failed:
            self.stderr.write(
                f"Envois interrompus : {report.sendings_retried} relancé(s), {report.sendings_failed} en échec."
            )
        for error in report.errors:
            self.stderr.write(error)
        if report.errors:
            raise CommandError(f"{len(report.errors)} facture(s) n'ont pas pu être consultées.")

    def _detect(self, **_):
        found = public_body_services.public_bodies_detect()
        self.stdout.write(f"Organismes publics désignés par les imports : {found}")
