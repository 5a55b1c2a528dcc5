"""Forms of the money follow-up pages: filters (GET), reconciliation (POST), audit filter."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from debts.models import Debt
from payments.models import ReturnNotice, TipiClient, Transaction
from payments.tipi import RESULTRANS_VALUES, resultrans_label
from staff.followup.selectors import NO_ANSWER, SUSPICIOUS_FILTER
from tipiportal.money import parse_euros

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class EurosField(forms.CharField):
    """An amount typed in euros as French people write it ("38,08"); cleaned to integer cents."""

    MAX_LENGTH = 20

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": str(self.MAX_LENGTH)})

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            if len(text) > self.MAX_LENGTH:
                raise ValueError(text)
            return parse_euros(text, max_units_digits=self.MAX_LENGTH)
        except ValueError:
            raise ValidationError(f"Montant « {text} » incorrect : écrivez-le en euros, par exemple 38,08.") from None


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Date incorrecte : choisissez-la dans le calendrier ou écrivez-la JJ/MM/AAAA."},
    )


class _FilterForm(forms.Form):
    """Filters given in the query string; a field with a bad value filters nothing (and says so)."""

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "La date de fin est avant la date de début.")
        return data

    def valid_data(self) -> dict:
        self.is_valid()
        return self.cleaned_data


class TransactionFilterForm(_FilterForm):
    client = forms.ModelChoiceField(
        label="Client TIPI", queryset=TipiClient.objects.order_by("label"), required=False, empty_label="Tous"
    )
    state = forms.ChoiceField(
        label="État",
        choices=[("", "Tous"), (NO_ANSWER, "Sans réponse de TIPI")] + list(Transaction.State.choices),
        required=False,
    )
    saisie = forms.ChoiceField(
        label="SAISIE", choices=[("", "Toutes")] + list(Transaction.Saisie.choices), required=False
    )
    resultrans = forms.ChoiceField(
        label="Résultat (RESULTRANS)",
        choices=[("", "Tous")] + [(code, f"{code} – {resultrans_label(code)}") for code in RESULTRANS_VALUES],
        required=False,
    )
    date_from = _date_field("Créée à partir du")
    date_to = _date_field("Créée jusqu'au")
    amount_min = EurosField(label="Montant minimum (€)", help_text="Par exemple 38,08")
    amount_max = EurosField(label="Montant maximum (€)", help_text="Par exemple 150,00")
    q = forms.CharField(
        label="Recherche",
        max_length=100,
        required=False,
        help_text="Référence (REFDET), NUMAUTO ou adresse électronique.",
    )

    def clean(self):
        data = super().clean()
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", "Le montant maximum est inférieur au montant minimum.")
        return data

    def filters(self) -> dict:
        """The filters for transactions_for_staff (only the valid ones)."""
        data = self.valid_data()
        return {
            "client": data.get("client"),
            "state": data.get("state") or "",
            "saisie": data.get("saisie") or "",
            "resultrans": data.get("resultrans") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "amount_min": data.get("amount_min"),
            "amount_max": data.get("amount_max"),
            "search": (data.get("q") or "").strip(),
        }


class NoticeFilterForm(_FilterForm):
    outcome = forms.ChoiceField(
        label="Résultat",
        choices=[("", "Tous"), (SUSPICIOUS_FILTER, "À examiner (tous les suspects)")]
        + list(ReturnNotice.Outcome.choices),
        required=False,
    )
    date_from = _date_field("Reçus à partir du")
    date_to = _date_field("Reçus jusqu'au")

    def filters(self) -> dict:
        data = self.valid_data()
        return {
            "outcome": data.get("outcome") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


class InProgressFilterForm(forms.Form):
    client = forms.ModelChoiceField(
        label="Client TIPI", queryset=TipiClient.objects.order_by("label"), required=False, empty_label="Tous"
    )


class BulkReconcileForm(forms.Form):
    debts = forms.ModelMultipleChoiceField(
        label="Dettes à marquer payées",
        queryset=Debt.objects.all(),
        error_messages={
            "required": "Cochez au moins une dette.",
            "invalid_choice": "Une des dettes cochées n'existe plus : rechargez la page.",
            "invalid_pk_value": "Une des dettes cochées n'existe plus : rechargez la page.",
        },
    )
    reason = forms.CharField(
        label="Motif",
        max_length=500,
        initial="Paiement constaté en comptabilité",
        help_text="Conservé dans l'historique de chaque dette, avec votre nom et la date.",
        error_messages={"required": "Indiquez le motif : il est conservé dans l'historique de chaque dette."},
    )


class ReconcileFileForm(forms.Form):
    MAX_BYTES = 2 * 1024 * 1024

    client = forms.ModelChoiceField(
        label="Client TIPI",
        queryset=TipiClient.objects.order_by("label"),
        empty_label="Choisissez le client TIPI",
        error_messages={"required": "Choisissez le client TIPI.", "invalid_choice": "Ce client TIPI n'existe pas."},
    )
    file = forms.FileField(
        label="Fichier de la comptabilité (CSV)",
        help_text="Une ligne par paiement : la référence (REFDET) puis la date de paiement (JJ/MM/AAAA ou "
        "AAAA-MM-JJ), séparées par « ; » ou « , ». Une ligne d'en-tête est permise. 2 Mo au plus.",
        error_messages={
            "required": "Choisissez le fichier à rapprocher.",
            "empty": "Le fichier envoyé est vide.",
            "invalid": "Aucun fichier n'a été reçu : choisissez-le de nouveau.",
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise ValidationError("Le fichier est trop volumineux (2 Mo au plus) : découpez-le.")
        return upload


SYSTEM_USER = "system"


class AuditFilterForm(forms.Form):
    KINDS = [("", "Dettes et clients TIPI"), ("debt", "Dettes"), ("client", "Clients TIPI")]

    user = forms.ChoiceField(label="Par", required=False)
    kind = forms.ChoiceField(label="Sur", choices=KINDS, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff = get_user_model().objects.filter(is_staff=True).order_by("username")
        self.fields["user"].choices = [
            ("", "Tout le monde"),
            (SYSTEM_USER, "Aucun agent (retours TIPI, traitements)"),
        ] + [(str(user.pk), user.get_full_name() or user.get_username()) for user in staff]

    def filters(self) -> dict:
        self.is_valid()
        data = self.cleaned_data
        return {"user": data.get("user") or "", "kind": data.get("kind") or ""}
