"""The public manual-entry form (SAISIE=M), modelled on annex 3."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from payments.models import ClientProtocol, TipiClient
from payments.tipi import INVOICE_MAX_LENGTH, compose_refdet
from tipiportal.money import parse_euros


class AmountField(forms.CharField):
    default_error_messages = {
        "invalid": "Saisissez le montant en euros, tel qu'il figure sur votre avis, par exemple 38,08."
    }

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_euros(value, max_units_digits=7)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


def digits_field(label: str, max_digits: int, help_text: str, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_digits,
        help_text=help_text,
        validators=[RegexValidator(r"^\d+$", f"Saisissez uniquement des chiffres ({max_digits} au plus).")],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": "Ce champ est obligatoire.", "max_length": f"{max_digits} chiffres au plus."},
        **kwargs,
    )


class ManualPaymentForm(forms.Form):
    """Reference as printed on the bill, amount in euros, e-mail twice."""

    exercice = forms.RegexField(
        label="Année",
        regex=r"^\d{4}$",
        help_text="L'exercice, sur 4 chiffres (par exemple 2026).",
        error_messages={
            "invalid": "Saisissez l'année sur 4 chiffres, par exemple 2026.",
            "required": "Ce champ est obligatoire.",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 4}),
    )
    montant = AmountField(
        label="Montant exact (€)",
        help_text="Le montant à payer, en euros, par exemple 38,08.",
        error_messages={"required": "Ce champ est obligatoire."},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 10}),
    )
    email = forms.EmailField(
        label="Votre adresse électronique",
        max_length=80,
        help_text="TIPI vous enverra le ticket de paiement à cette adresse.",
        error_messages={
            "invalid": "Saisissez une adresse électronique valide.",
            "required": "Ce champ est obligatoire.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    email_confirm = forms.EmailField(
        label="Votre adresse électronique (confirmation)",
        max_length=80,
        error_messages={
            "invalid": "Saisissez une adresse électronique valide.",
            "required": "Ce champ est obligatoire.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, client: TipiClient, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        if client.protocol == ClientProtocol.REGIE:
            # A régie's invoice has a number, no exercice (EXER is not used for protocol 0).
            del self.fields["exercice"]
            self.fields["numero"] = forms.CharField(
                label="Numéro de facture",
                max_length=INVOICE_MAX_LENGTH,
                help_text="Tel qu'il figure sur votre facture, par exemple FAC-2026-0042.",
                error_messages={
                    "required": "Ce champ est obligatoire.",
                    "max_length": f"{INVOICE_MAX_LENGTH} caractères au plus.",
                },
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
            self.reference_field = "numero"
        elif client.protocol == ClientProtocol.ROLMRE:
            self.fields["numero"] = digits_field("Numéro de facture", 13, "Le numéro de facture, sans la lettre clé.")
            # ROLDEB: annex 4, ROLMRE EAU, "si ROLDEB est renseigné prendre la valeur existante sinon 00".
            self.fields["debut"] = digits_field(
                "Code de début de facture",
                2,
                "Les 2 chiffres qui précèdent le numéro de facture dans la référence de votre facture ; "
                "laissez 00 s'il n'y en a pas.",
                initial="00",
                required=False,
            )
            self.reference_field = "numero"
        else:
            self.fields["numero"] = digits_field("Numéro de titre", 8, "Le numéro du titre (8 chiffres au plus).")
            self.fields["ordre"] = digits_field(
                "Numéro d'ordre", 6, "Laissez 000001 s'il n'en figure pas d'autre sur votre avis.", initial="000001"
            )
            self.reference_field = "numero"
        self.order_fields(["exercice", "numero", "debut", "ordre", "montant", "email", "email_confirm"])

    @staticmethod
    def initial_for(*, client: TipiClient, refdet: str, amount_cents: int, email: str) -> dict[str, str]:
        """The form's fields as they were typed for an attempt (the reverse of ``_refdet``)."""
        initial = {"exercice": refdet[:4], "montant": f"{amount_cents // 100},{amount_cents % 100:02d}", "email": email}
        if client.protocol == ClientProtocol.ROLMRE:
            initial["numero"] = refdet[8:]  # after ROLEX, the code recette and ROLDEB "00"
        else:
            initial.update(numero=refdet[4:12], ordre=refdet[12:18])
        return {**initial, "email_confirm": email}

    def clean(self):
        data = super().clean()
        if data.get("email") and data.get("email_confirm") and data["email"].lower() != data["email_confirm"].lower():
            self.add_error("email_confirm", "Les deux adresses électroniques ne sont pas identiques.")
        if self.errors:
            return data
        try:
            data["refdet"] = self._refdet(data)
        except ValueError:
            self.add_error(
                self.reference_field, "Le format de la référence de la dette est incorrect. Veuillez la ressaisir"
            )
        return data

    def _refdet(self, data) -> str:
        protocol = self.client.tipi_protocol
        if self.client.protocol == ClientProtocol.REGIE:
            # The invoice number's REFDET, derived as for the imported invoices (one rule).
            return compose_refdet(protocol, invoice=data["numero"])
        if self.client.protocol == ClientProtocol.ROLMRE:
            # A water bill prints the year, ROLDEB when it has one, and the invoice number; the
            # client's code recette completes the 21-character REFDET (annex 4, ROLMRE EAU).
            return compose_refdet(
                protocol,
                rolex=data["exercice"],
                rolrec=self.client.code_recette,
                roldeb=data.get("debut") or "00",
                roldet=data["numero"],
            )
        if self.client.protocol == ClientProtocol.PESV2:
            return compose_refdet(protocol, exer=data["exercice"], idpce=data["numero"], idligne=data["ordre"])
        return compose_refdet(protocol, codexer=data["exercice"], numtitre=data["numero"], numordre=data["ordre"])
