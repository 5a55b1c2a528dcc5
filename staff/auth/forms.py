from django import forms

BAD_CODE = "Code incorrect : tapez les 6 chiffres affichés par l'application d'authentification."


class StaffLoginForm(forms.Form):
    username = forms.CharField(
        label="Identifiant",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Mot de passe", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class OtpTokenForm(forms.Form):
    otp_token = forms.CharField(
        label="Code à 6 chiffres",
        max_length=12,
        error_messages={"required": BAD_CODE},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "spellcheck": "false"}
        ),
    )

    def clean_otp_token(self) -> str:
        token = "".join(self.cleaned_data["otp_token"].split())
        if len(token) != 6 or not token.isdigit():
            raise forms.ValidationError(BAD_CODE)
        return token
