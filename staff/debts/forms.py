"""The debts list filters and the reason of an action on a debt."""

from django import forms

from debts.models import Debt
from debts.selectors import ONLINE_FILTERS
from payments.forms import AmountField
from payments.models import ClientProtocol, TipiClient
from payments.tipi import INVOICE_MAX_LENGTH

REQUIRED = "Ce champ est obligatoire."
_DATE_INVALID = "Date incorrecte : choisissez-la dans le calendrier ou écrivez-la JJ/MM/AAAA."


class DebtFilterForm(forms.Form):
    """The debts list's filters (GET). Every field is optional."""

    client = forms.ModelChoiceField(
        label="Client TIPI", queryset=TipiClient.objects.order_by("label"), required=False, empty_label="Tous"
    )
    state = forms.ChoiceField(label="État", choices=[("", "Tous")] + list(Debt.State.choices), required=False)
    online = forms.ChoiceField(
        label="Paiement en ligne", choices=[("", "Toutes")] + list(ONLINE_FILTERS.items()), required=False
    )
    debtor_ref = forms.CharField(label="Référence du débiteur", max_length=30, required=False)
    q = forms.CharField(
        label="Recherche",
        max_length=100,
        required=False,
        help_text="Une partie de la référence de la dette (REFDET), du numéro de facture (régie) ou du nom du débiteur, majuscules et accents indifférents.",
    )

    def filters(self) -> dict:
        """The filters for debts_for_staff; an invalid value filters nothing rather than everything."""
        self.is_valid()  # a field with an invalid value is left out of cleaned_data
        data = self.cleaned_data
        return {
            "client": data.get("client"),
            "state": data.get("state") or "",
            "online": data.get("online") or "",
            "debtor_ref": (data.get("debtor_ref") or "").strip(),
            "search": (data.get("q") or "").strip(),
        }


class DebtActionForm(forms.Form):
    reason = forms.CharField(
        label="Motif",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=2000,
        help_text="Obligatoire : il est conservé dans l'historique de la dette, avec votre nom et la date.",
        error_messages={"required": "Indiquez le motif : il est conservé dans l'historique de la dette."},
    )


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": REQUIRED, "invalid": _DATE_INVALID},
    )


class RegieDebtForm(forms.Form):
    """A régie invoice typed by an agent; the rules are the service's (debt_create)."""

    client = forms.ModelChoiceField(
        label="Régie",
        queryset=TipiClient.objects.filter(protocol=ClientProtocol.REGIE).order_by("label"),
        empty_label="Choisissez la régie",
        error_messages={"required": "Choisissez la régie.", "invalid_choice": "Cette régie n'existe pas."},
    )
    invoice_reference = forms.CharField(
        label="Numéro de facture",
        max_length=INVOICE_MAX_LENGTH,
        help_text="Tel qu'il est imprimé sur la facture ; l'usager le saisit pour payer.",
        error_messages={"required": REQUIRED, "max_length": f"{INVOICE_MAX_LENGTH} caractères au plus."},
    )
    debtor_ref = forms.CharField(
        label="Référence du débiteur",
        max_length=30,
        help_text="La référence de la famille dans le logiciel de facturation (rattachée au compte de l'usager).",
        error_messages={"required": REQUIRED, "max_length": "30 caractères au plus."},
    )
    debtor_name = forms.CharField(label="Nom du débiteur", max_length=200, error_messages={"required": REQUIRED})
    debtor_address = forms.CharField(
        label="Adresse", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3, "cols": 40})
    )
    label = forms.CharField(
        label="Objet", required=False, max_length=200, help_text="Par exemple « Cantine novembre 2026 »."
    )
    amount_cents = AmountField(
        label="Montant (€)",
        help_text="En euros, par exemple 42,50.",
        error_messages={"required": REQUIRED},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 10}),
    )
    issued_on = _date("Date d'émission")
    due_on = _date("Date d'échéance")
