"""Chorus Pro forms (staff): settings, renewal dates, public-body debtor, sending and correcting."""

from django import forms
from django.core.exceptions import ValidationError
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as NumberError

from choruspro.models import ChorusAccount, ChorusSettings, PublicBody
from choruspro.public_body_codes import siret_clean


def _siret(value: str) -> str:
    try:
        return siret_clean(value)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class ChorusSettingsForm(forms.ModelForm):
    supplier_siret = forms.CharField(
        label="SIRET de la collectivité",
        max_length=20,
        help_text="Celui de la structure de la collectivité dans Chorus Pro (14 chiffres).",
    )
    iban = forms.CharField(
        label="IBAN (sur les factures)",
        max_length=42,
        required=False,
        help_text="Imprimé sur les factures ; Chorus Pro utilise les coordonnées bancaires déclarées sur la structure.",
    )

    class Meta:
        model = ChorusSettings
        fields = [
            "environment",
            "supplier_siret",
            "supplier_name",
            "supplier_address",
            "iban",
            "bic",
            "bank_label",
            "vat_mention",
            "payment_days",
        ]
        widgets = {"supplier_address": forms.Textarea(attrs={"rows": 3}), "environment": forms.RadioSelect}
        help_texts = {
            "environment": "La qualification (portail vert) sert aux essais avec des données de test ; la production "
            "(portail bleu) aux vraies factures. Chacune a ses propres identifiants.",
        }

    def clean_supplier_siret(self) -> str:
        return _siret(self.cleaned_data["supplier_siret"])

    def clean_supplier_name(self) -> str:
        value = self.cleaned_data["supplier_name"].strip()
        if not value:
            raise ValidationError("Le nom de la collectivité est obligatoire : il figure sur les factures.")
        return value

    def clean_iban(self) -> str:
        value = self.cleaned_data["iban"]
        if not value:
            return ""
        try:
            return stdnum_iban.format(stdnum_iban.validate(value))
        except NumberError:
            raise ValidationError("Cet IBAN n'est pas valide (vérifiez la clé).") from None

    def clean_bic(self) -> str:
        value = self.cleaned_data["bic"]
        if not value:
            return ""
        try:
            return stdnum_bic.validate(value)
        except NumberError:
            raise ValidationError("Ce BIC n'est pas valide (8 ou 11 caractères).") from None


class AccountDatesForm(forms.ModelForm):
    class Meta:
        model = ChorusAccount
        fields = ["password_expires_on", "secret_renewed_on"]
        widgets = {
            "password_expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "secret_renewed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "password_expires_on": "Affichée dans Chorus Pro sur la fiche du compte technique.",
            "secret_renewed_on": "PISTE conseille de renouveler le client secret tous les 3 mois.",
        }


class PublicBodyForm(forms.Form):
    siret = forms.CharField(
        label="SIRET de l'organisme public",
        max_length=20,
        help_text="14 chiffres ; il désigne l'organisme dans Chorus Pro.",
    )
    default_service_code = forms.CharField(label="Code service habituel (facultatif)", max_length=100, required=False)
    default_engagement = forms.CharField(
        label="Numéro d'engagement habituel (facultatif)", max_length=50, required=False
    )

    def clean_siret(self) -> str:
        return _siret(self.cleaned_data["siret"])


def _service_field(body: PublicBody | None, *, label: str, initial: str) -> forms.Field:
    required = bool(body and body.service_code_required)
    if body and body.services and body.services_complete:
        choices = [("", "— aucun —" if not required else "— choisissez le service —")]
        choices += [(s["code"], f"{s['code']} – {s['label']}") for s in body.services]
        return forms.ChoiceField(label=label, choices=choices, required=required, initial=initial)
    return forms.CharField(label=label, max_length=100, required=required, initial=initial)


def _required_message(field: forms.Field, text: str) -> forms.Field:
    field.error_messages["required"] = text
    return field


class SendForm(forms.Form):
    """One service code and one engagement number per debt, asked before sending (required
    when the recipient's structure says so), never after a rejection."""

    def __init__(self, *args, debts, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for debt in debts:
            body = getattr(debt.debtor, "public_body", None) if debt.debtor_id else None
            service = _required_message(
                _service_field(
                    body, label=f"Code service pour {debt.refdet}", initial=body.default_service_code if body else ""
                ),
                "Le destinataire exige un code service : demandez-le à l'organisme.",
            )
            engagement = _required_message(
                forms.CharField(
                    label=f"Numéro d'engagement pour {debt.refdet}",
                    max_length=50,
                    required=bool(body and body.engagement_required),
                    initial=body.default_engagement if body else "",
                ),
                "Le destinataire exige un numéro d'engagement : demandez-le à l'organisme.",
            )
            self.fields[f"service_{debt.pk}"] = service
            self.fields[f"engagement_{debt.pk}"] = engagement
            self.rows.append(
                {"debt": debt, "body": body, "service": f"service_{debt.pk}", "engagement": f"engagement_{debt.pk}"}
            )

    def bound_rows(self):
        return [
            {**row, "service_field": self[row["service"]], "engagement_field": self[row["engagement"]]}
            for row in self.rows
        ]

    def values(self, debt_pk: int) -> tuple[str, str]:
        return (self.cleaned_data.get(f"service_{debt_pk}") or "").strip(), (
            self.cleaned_data.get(f"engagement_{debt_pk}") or ""
        ).strip()


class ResendForm(forms.Form):
    def __init__(self, *args, public_body: PublicBody, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_code"] = _required_message(
            _service_field(public_body, label="Code service corrigé", initial=invoice.service_code),
            "Le destinataire exige un code service : demandez-le à l'organisme.",
        )
        self.fields["engagement"] = _required_message(
            forms.CharField(
                label="Numéro d'engagement corrigé",
                max_length=50,
                required=public_body.engagement_required,
                initial=invoice.engagement_number,
            ),
            "Le destinataire exige un numéro d'engagement : demandez-le à l'organisme.",
        )
