"""Annex-10 control codes and their French messages.

Annex 10 of the TIPI specification lists every control TIPI runs on an URL aller,
with a code (S1, T1...U2) and three message columns:

* "message pour activation et test SAISIE="X" ou "T"" (some codes give one text for
  X and another for T: R2, R4, R8);
* "Libellé ... SAISIE MANUELLE SAISIE="M"";
* "Libellé ... SAISIE AUTOMATIQUE SAISIE="A"".

The texts below are copied verbatim from the specification, without the outer
quotes and without the stage directions that follow them in the table (``un bouton
"Fermer la fenêtre" ferme la POP-UP``, ``L'anomalie est reportée dans un journal...``,
``+ reporting``...). The footnote markers "(1)" and "(2)" are kept in the stored
texts and resolved when rendering: the spec says "(1) remplacer Trésorerie par Régie
pour les codes protocole 0" and "(2) remplacer Avis des Sommes à Payer par facture
pour les codes protocole 0", and only the texts carrying the markers get them.

Where the spec leaves a column empty, a fallback is used; each one is marked
``# FALLBACK`` with the reason. The policy:

* empty test/activation column: the rule's own wording ("Règle de gestion"), so a
  tester learns what to fix; for the controls about a real debt (R5, R6, R7, R11),
  which cannot happen on the imposed test values, the manual-mode text;
* empty manual/automatic column: S1's generic text ("Suite à un problème technique..."),
  which is what the spec itself shows users for every other technical rejection,
  unless a sibling code gives a closer text (A2 uses A1's, M3's automatic column
  uses M3's manual text).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from .protocol import SAISIES, Protocol

# Column keys: T and X are the two test/activation sub-variants.
_COLUMNS = ("T", "X", "M", "A")

# S1's text exists in three columns, the automatic one ending with a full stop.
_S1 = (
    "Suite à un problème technique, le paiement par Internet est impossible. "
    "Merci d'effectuer votre règlement par un autre moyen de paiement"
)
_S1_A = _S1 + "."

_R4_M = (
    "La référence de la dette n'est pas reconnue, veuillez la ressaisir. En cas de "
    "nouvel échec, merci d'effectuer votre règlement directement auprès de la "
    "Trésorerie indiquée sur votre Avis des sommes à payer"
)
_R4_A = (
    "La référence n'est pas reconnue, le paiement par Internet est impossible. Merci "
    "d'effectuer votre règlement directement auprès de la Trésorerie indiquée sur "
    "votre Avis des sommes à payer"
)
_R6 = "Cette dette a déjà été réglée par Internet le : DATTRANS"
_R7 = (
    "Le délai pour payer cette dette sur Internet est expiré, vous devez la régler "
    "directement auprès de la Trésorerie indiquée sur votre avis des sommes à payer"
)
_R8_MA = (
    "Cette dette ne peut actuellement pas être payée par Internet. Merci d'effectuer "
    "votre règlement directement auprès de la Trésorerie indiquée sur votre Avis des "
    "Sommes à Payer"
)
_R11 = "Un contrôle comptable est en cours pour effectuer ce paiement. Vous pourrez payer cette dette à partir du ..."
_REFDET_X = "le format du paramètre REFDET de l'URL d'activation n'est pas conforme"
_REFDET_T = "le format du paramètre REFDET de l'URL de test n'est pas conforme"
_M2 = (
    "Selon l'article1341 du code civil mod. par décret N°2004-836 du 20/08/04, nous "
    "n'acceptons pas les paiements par Carte bancaire sur Internet d'un montant "
    "supérieur ou égal à 1500,00 €. Merci d'effectuer le règlement auprès de la "
    "Trésorerie(1) indiquée sur votre Avis des Sommes à Payer(2)"
)
_M3_M = (
    "Nous n'acceptons pas le paiement par Carte Bancaire sur Internet des dettes "
    "inférieures à 1 €, veuillez régler directement auprès de la Trésorerie(1) "
    "indiquée sur votre Avis des Sommes à payer(2)"
)
_A1_MA = "Vous devez obligatoirement saisir une adresse électronique valide."
_T5_MA = (
    "Cette dette ne peut actuellement pas être payée par Internet. Merci d'effectuer "
    "votre règlement directement auprès de la Trésorerie(1) indiquée sur votre Avis "
    "des Sommes à Payer(2)"
)
_U1_MA = (
    # Verbatim, lower-case initial included (the spec's text starts with a space).
    "le paiement par Internet est impossible, veuillez régler directement auprès de la régie inscrite sur votre facture"
)


def _same(text: str) -> tuple[str, str]:
    """One text for both test (T) and activation (X)."""
    return (text, text)


# code -> (T, X, M, A). Annex-10 table order, which is the order TIPI runs the
# controls in (R11 sits between R6 and R7 in the table).
_TEXTS: dict[str, tuple[str, str, str, str]] = {
    "S1": (*_same(_S1), _S1, _S1_A),
    # FALLBACK (all columns): T1 has no text at all in the spec. T/X: the rule's
    # own wording; M/A: S1's generic text.
    "T1": (
        *_same(
            "Le numéro de client TIPI doit comporter 6 caractères numériques. Sinon "
            "l'activation, le test et le paiement sont impossibles"
        ),
        _S1,
        _S1_A,
    ),
    "T2": (
        *_same(
            "Ce numéro de client TIPI n'est pas valide. Merci de le vérifier dans le "
            'paramètre "NUMCLI" et ou contacter l\'administrateur TIPI.'
        ),
        "Ce numéro de client TIPI n'est pas valide. Merci d'effectuer votre règlement par un autre moyen de paiement.",
        _S1_A,
    ),
    # T3 and T4 only concern SAISIE=X; FALLBACK for M/A: S1's generic text.
    "T3": (
        *_same(
            "Le client TIPI ne peut pas être réactivé par cette procédure, veuillez contacter l'administrateur TIPI"
        ),
        _S1,
        _S1_A,
    ),
    "T4": (
        *_same(
            "Le client TIPI est déjà activé. Pour effectuer un test, valoriser le champ "
            "SAISIE à \"T\" dans l'URL d'appel"
        ),
        _S1,
        _S1_A,
    ),
    # T5 only concerns SAISIE=A or M; FALLBACK for T/X: the rule's wording.
    "T5": (
        *_same('Le statut du client TIPI est différent de "A" (actif), le paiement est impossible'),
        _T5_MA,
        _T5_MA,
    ),
    "T6": (
        *_same(
            "Ce client ne peut pas être activé ou testé car il n'est pas référencé dans "
            "le référentiel IRIS. Veuillez prendre contact avec votre comptable"
        ),
        "Cette dette ne peut pas être payée par Internet, veuillez vous adresser à la "
        "Trésorerie indiquée sur votre Avis des Sommes à Payer",
        "Cette dette ne peut pas être payée par Internet, veuillez vous adresser à la "
        "Trésorerie indiquée sur votre Avis des Sommes à Payer",
    ),
    # FALLBACK for T/X: R1 is R2's control for protocols 1 and 3, so R2's test and
    # activation texts are reused, followed by R1's rule.
    "R1": (
        _REFDET_T + " : REFDET doit comporter 18 caractères numériques",
        _REFDET_X + " : REFDET doit comporter 18 caractères numériques",
        "Le format de la référence de la dette est incorrect. Veuillez la ressaisir",
        "Suite à un problème technique, le paiement par Internet est impossible. Merci "
        "d'effectuer votre règlement par un autre moyen de paiement auprès de la "
        "Trésorerie indiquée sur votre Avis des Sommes à Payer",
    ),
    # FALLBACK for M/A: the spec's M and A cells only hold stage directions.
    "R2": (_REFDET_T, _REFDET_X, _S1, _S1_A),
    # FALLBACK for T/X: as R1, R2's texts followed by R3's rule.
    "R3": (
        _REFDET_T + " : REFDET doit comporter entre 6 et 30 caractères au format a z A Z 0 9",
        _REFDET_X + " : REFDET doit comporter entre 6 et 30 caractères au format a z A Z 0 9",
        "La référence de la facture est incorrecte, veuillez la ressaisir au format alphanumérique (a z A Z 0 9)",
        "Suite à un problème technique, le paiement par Internet est impossible. Merci "
        "d'effectuer votre règlement par un autre moyen de paiement auprès de la régie "
        "indiquée sur la facture",
    ),
    "R4": (
        "la référence du titre de test n'est pas conforme, veuillez la vérifier",
        "la référence du titre d'activation n'est pas conforme, veuillez la vérifier",
        _R4_M,
        _R4_A,
    ),
    # R5, R6, R7, R11: FALLBACK for T/X: the manual text (these controls concern a
    # real debt, which test/activation values never are; the sandbox may still
    # show them).
    "R5": (*_same(_R4_M), _R4_M, _R4_A),
    "R6": (*_same(_R6), _R6, _R6),
    "R11": (*_same(_R11), _R11, _R11),
    "R7": (*_same(_R7), _R7, _R7),
    "R8": (
        "Aucun contrat créé, tests impossibles, veuillez contacter l'administrateur TIPI",
        "Aucun contrat créé, impossibilité d'activer le client, veuillez contacter l'administrateur TIPI",
        _R8_MA,
        _R8_MA,
    ),
    # FALLBACK for T/X: the rule's wording.
    "R9": (
        *_same('Le contrat associé est au statut "S" (suspendu), le paiement est impossible'),
        _R8_MA,
        _R8_MA,
    ),
    # R10 only concerns SAISIE=X: its text is used for T too; FALLBACK for M/A: S1.
    "R10": (
        *_same(
            'Aucun contrat au statut "O" Ouvert, l\'activation du client est impossible, '
            "veuillez contacter l'administrateur TIPI"
        ),
        _S1,
        _S1_A,
    ),
    "O1": (
        *_same(
            'Les caractères utilisés dans le paramètre "OBJET" sont incorrects, ils '
            "doivent être de forme alphanumérique"
        ),
        "Les caractères utilisés dans la zone Objet sont incorrects, ils doivent être de forme alphanumérique.",
        _S1_A,
    ),
    "M1": (
        *_same("Le montant doit être exprimé en caractères numériques, en centimes d'euros sans virgule"),
        "Un problème technique est constaté : le format du montant est incorrect. Merci "
        "de réessayer et d'effectuer votre règlement directement auprès de votre "
        "Trésorerie (1) en cas de nouvel échec.",
        "Suite à un problème technique, le paiement par Internet est impossible. Merci "
        "d'effectuer votre règlement par un autre moyen de paiement auprès de la "
        "Trésorerie(1) indiquée sur votre Avis des Sommes à Payer(2)",
    ),
    # M2, M3: FALLBACK for T/X. The spec's cell says the control never raises an
    # anomaly in test/activation (the 111111 check of M4 comes first), so the
    # rule's wording is used should one be shown anyway.
    "M2": (
        *_same("Le montant est supérieur ou égal à 1500 euros, le paiement est impossible"),
        _M2,
        _M2,
    ),
    # FALLBACK for A: the spec's M3 row has no automatic column; the manual text
    # (M2's two columns are identical) is the closest.
    "M3": (
        *_same("Le montant est inférieur à 1 euro, le paiement est impossible"),
        _M3_M,
        _M3_M,
    ),
    "M4": (
        *_same('Le montant saisi est incorrect. Le paramètre "MONTANT" doit être égal à 111111.'),
        'Ce montant ne correspond pas à la référence saisie. Cliquer sur "Fermer la fenêtre" pour le ressaisir',
        "Suite à un problème technique, le paiement par Internet est impossible. Merci "
        "d'effectuer votre règlement par un autre moyen de paiement auprès de la "
        "Trésorerie indiquée sur votre Avis des sommes à payer",
    ),
    "A1": (*_same("La saisie de l'adresse mél est obligatoire"), _A1_MA, _A1_MA),
    # FALLBACK for M/A: A1's text, which already asks for "une adresse électronique
    # valide" and is exactly what an invalid address calls for.
    "A2": (*_same('L\'adresse contenue dans le paramètre "MEL" est incorrecte'), _A1_MA, _A1_MA),
    "U1": (*_same("L'url retour n'est pas servie"), _U1_MA, _U1_MA),
    # FALLBACK for M/A: S1's generic text (U1's text names the régie, protocol 0 only).
    "U2": (*_same("L'url retour n'est pas valide"), _S1, _S1_A),
}

#: Every annex-10 code, in the order of the annex-10 table.
ANOMALY_CODES: tuple[str, ...] = tuple(_TEXTS)

#: The URL parameter (lower case) each code is about, used when none is given.
DEFAULT_FIELDS: dict[str, str] = {
    code: {
        "S": "saisie",
        "T": "numcli",
        "R": "refdet",
        "O": "objet",
        "M": "montant",
        "A": "mel",
        "U": "urlcl",
    }[code[0]]
    for code in ANOMALY_CODES
}

#: The control behind each code, condensed from the "Règle de gestion" column
#: (for staff screens and logs, not for the payer).
RULES: dict[str, str] = {
    "S1": "SAISIE absent ou différent de M, A, T, X",
    "T1": "NUMCLI ne comporte pas exactement 6 caractères numériques",
    "T2": "NUMCLI inconnu de TIPI",
    "T3": "SAISIE=X et client TIPI inactif (I)",
    "T4": "SAISIE=X et client TIPI déjà actif (A)",
    "T5": "SAISIE=A ou M et client TIPI non actif",
    "T6": "client non référencé dans le référentiel IRIS",
    "R1": "protocoles 1 et 3 : REFDET ne comporte pas 18 caractères numériques",
    "R2": "protocole 2 : REFDET ne comporte pas 21 caractères alphanumériques sans accent",
    "R3": "protocole 0 : REFDET ne comporte pas entre 6 et 30 caractères a-z A-Z 0-9",
    "R4": "dette inconnue (T/X : référence différente de la valeur de test imposée)",
    "R5": "incohérence entre la référence de la dette et le numéro de client",
    "R6": "dette déjà payée",
    "R11": "contrôle comptable en cours (entre la prise en charge et la fin du délai de visa)",
    "R7": "délai de mise en ligne expiré",
    "R8": "aucun contrat pour ce type de produit",
    "R9": "contrat suspendu (S)",
    "R10": "SAISIE=X et aucun contrat ouvert (O)",
    "O1": "OBJET comporte des caractères autres qu'alphanumériques et espace, ou 100 caractères ou plus",
    "M1": "MONTANT a plus de 6 chiffres, une virgule ou des caractères non numériques",
    "M2": "MONTANT supérieur ou égal à 1500 euros",
    "M3": "MONTANT inférieur à 1 euro",
    "M4": "MONTANT différent de celui de la dette (T/X : différent de 111111)",
    "A1": "MEL non servi",
    "A2": "MEL hors de 6 à 80 caractères, ou sans « @ » ou « . »",
    "U1": "protocole 0 : URLCL absent, pas au format http://, ou de 250 caractères ou plus",
    "U2": "protocoles 1 à 3 : URLCL servi mais pas au format http://, ou de 250 caractères ou plus",
}

# The portal's own wording, where a spec text would not fit the page that shows it: annex 10's
# texts are what TIPI shows in its pop-up (kept word for word above, and by the sandbox); when
# the portal runs the same control on its own form first, it says the spec's meaning in words
# that fit there. M4 in the manual column tells to click "Fermer la fenêtre", a button of TIPI's
# window only: on the portal's form the amount is corrected in place. Code -> {saisie: text}.
PORTAL_TEXTS: dict[str, dict[str, str]] = {
    "M4": {
        "M": "Ce montant ne correspond pas à la référence saisie. Corrigez-le : recopiez le montant "
        "indiqué sur votre Avis des Sommes à Payer (2).",
    },
}

# Footnote markers, with or without the space the spec sometimes leaves before them.
_FOOTNOTE_1 = re.compile(r"(Trésorerie) ?\(1\)")
_FOOTNOTE_2 = re.compile(r"(Avis des Sommes à [Pp]ayer) ?\(2\)")


def _resolve_footnotes(text: str, protocol: Protocol) -> str:
    """Apply the spec's footnotes (1) and (2) for protocol 0, or drop the markers."""
    if protocol is Protocol.REGIE:
        text = _FOOTNOTE_1.sub("Régie", text)
        return _FOOTNOTE_2.sub("facture", text)
    text = _FOOTNOTE_1.sub(r"\1", text)
    return _FOOTNOTE_2.sub(r"\1", text)


def _format_date(value: object, name: str) -> str:
    """Show a date as JJ/MM/AAAA, the way French messages do."""
    if not isinstance(value, datetime.date):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")
    return value.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Anomaly:
    """One annex-10 anomaly: its code, the URL parameter concerned and the client's protocol.

    ``Anomaly("R6", "refdet", Protocol.INDIGO)`` builds any code, including the ones
    only TIPI (or the sandbox playing TIPI, or the portal checking a debt it holds)
    can detect. The protocol is needed to render the messages of protocol 0
    (Régie/facture substitutions).
    """

    code: str
    field: str
    protocol: Protocol

    def __post_init__(self) -> None:
        """Validate the code and normalise field and protocol."""
        if self.code not in _TEXTS:
            raise ValueError(f"code: unknown annex-10 anomaly code {self.code!r}")
        # Accept a plain int for the protocol but store the enum, so that equality
        # and repr are predictable.
        object.__setattr__(self, "protocol", Protocol(self.protocol))
        object.__setattr__(self, "field", str(self.field).lower())

    @property
    def rule(self) -> str:
        """The control behind the code, in French (for staff, not for the payer)."""
        return RULES[self.code]

    def portal_message(self, saisie: str | None, **values: object) -> str:
        """The message the portal shows on its own pages: its own wording where annex 10's would
        point at TIPI's window (PORTAL_TEXTS), the spec's text otherwise (``message``)."""
        text = PORTAL_TEXTS.get(self.code, {}).get(saisie or "")
        if text is None:
            return self.message(saisie, **values)
        return _resolve_footnotes(text, self.protocol)

    def message(self, saisie: str | None, **values: object) -> str:
        """Return the spec's French message for this anomaly in the column of ``saisie``.

        ``saisie`` picks the column: "T" or "X" the test/activation one (with its T or
        X sub-variant where the spec has two), "M" the manual one, "A" the automatic
        one. R6 needs ``dattrans=`` (a date) and R11 ``date=`` (the first payable
        day); both are shown JJ/MM/AAAA. Other codes ignore these two values.

        With any other ``saisie`` (absent, lower case, unknown) TIPI cannot pick a
        column: it rejects the URL under S1, so S1's generic text is returned.
        """
        unknown = set(values) - {"dattrans", "date"}
        if unknown:
            raise TypeError(f"unexpected message values: {', '.join(sorted(unknown))}")
        if saisie not in SAISIES:
            return _S1_A
        text = _TEXTS[self.code][_COLUMNS.index(saisie)]
        if self.code == "R6":
            if "dattrans" not in values:
                raise TypeError("R6 message needs dattrans= (the date the debt was paid)")
            text = text.replace("DATTRANS", _format_date(values["dattrans"], "dattrans"))
        elif self.code == "R11":
            if "date" not in values:
                raise TypeError("R11 message needs date= (the first day the debt is payable)")
            # The spec's "..." stands for the date.
            text = text.replace("...", _format_date(values["date"], "date"))
        return _resolve_footnotes(text, self.protocol)


def make_anomaly(code: str, protocol: Protocol | int, field: str | None = None) -> Anomaly:
    """Build an Anomaly for any annex-10 code, with the parameter it is usually about.

    ``make_anomaly("M4", Protocol.INDIGO)`` is ``Anomaly("M4", "montant", Protocol.INDIGO)``.
    """
    if code not in DEFAULT_FIELDS:
        raise ValueError(f"code: unknown annex-10 anomaly code {code!r}")
    return Anomaly(code, field if field is not None else DEFAULT_FIELDS[code], Protocol(protocol))
