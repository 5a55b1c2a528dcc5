"""Anomaly: any annex-10 code, and its French message in the column of SAISIE."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from payments.tipi import ANOMALY_CODES, DEFAULT_FIELDS, RULES, Anomaly, Protocol, make_anomaly

S1_TEXT = (
    "Suite à un problème technique, le paiement par Internet est impossible. "
    "Merci d'effectuer votre règlement par un autre moyen de paiement"
)
EXPECTED_CODES = [
    "S1",
    "T1",
    "T2",
    "T3",
    "T4",
    "T5",
    "T6",
    "R1",
    "R2",
    "R3",
    "R4",
    "R5",
    "R6",
    "R11",
    "R7",
    "R8",
    "R9",
    "R10",
    "O1",
    "M1",
    "M2",
    "M3",
    "M4",
    "A1",
    "A2",
    "U1",
    "U2",
]
VALUES = {"dattrans": datetime.date(2026, 11, 22), "date": datetime.date(2026, 12, 1)}


def test_every_annex_10_code_is_known_in_table_order():
    assert list(ANOMALY_CODES) == EXPECTED_CODES


@pytest.mark.parametrize("code", EXPECTED_CODES)
@pytest.mark.parametrize("protocol", list(Protocol))
@pytest.mark.parametrize("saisie", ["T", "X", "M", "A"])
def test_every_code_has_a_message_in_every_column(code, protocol, saisie):
    text = Anomaly(code, DEFAULT_FIELDS[code], protocol).message(saisie, **VALUES)
    assert text.strip() == text and len(text) > 20
    # Footnote markers are resolved, stage directions are not part of the text.
    for leftover in ("(1)", "(2)", "POP-UP", "POP UP", "journal", "reporting", "DATTRANS", "..."):
        assert leftover not in text


@pytest.mark.parametrize("code", EXPECTED_CODES)
def test_every_code_has_a_rule(code):
    assert RULES[code]


def test_unknown_code_is_refused():
    with pytest.raises(ValueError, match="code"):
        Anomaly("Z9", "montant", Protocol.INDIGO)
    with pytest.raises(ValueError, match="code"):
        make_anomaly("E1", Protocol.REGIE)  # "E1 (n'existe pas)" in the spec


def test_anomaly_is_frozen_and_compares_by_value():
    a = Anomaly("R6", "refdet", Protocol.INDIGO)
    assert a == Anomaly("R6", "REFDET", 1)
    assert a.protocol is Protocol.INDIGO
    assert a != Anomaly("R6", "refdet", Protocol.PESV2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.code = "R7"


def test_bad_protocol_is_refused():
    with pytest.raises(ValueError):
        Anomaly("S1", "saisie", 7)


@pytest.mark.parametrize(
    ("code", "field"),
    [
        ("S1", "saisie"),
        ("T5", "numcli"),
        ("R6", "refdet"),
        ("O1", "objet"),
        ("M4", "montant"),
        ("A2", "mel"),
        ("U1", "urlcl"),
    ],
)
def test_make_anomaly_default_field(code, field):
    assert make_anomaly(code, Protocol.INDIGO) == Anomaly(code, field, Protocol.INDIGO)
    assert make_anomaly(code, 0, field="other").field == "other"


# --- columns ----------------------------------------------------------------------


def test_r4_four_columns_differ():
    a = Anomaly("R4", "refdet", Protocol.INDIGO)
    assert a.message("X") == "la référence du titre d'activation n'est pas conforme, veuillez la vérifier"
    assert a.message("T") == "la référence du titre de test n'est pas conforme, veuillez la vérifier"
    assert a.message("M").startswith("La référence de la dette n'est pas reconnue, veuillez la ressaisir.")
    assert a.message("A").startswith("La référence n'est pas reconnue, le paiement par Internet est impossible.")


def test_r2_test_and_activation_variants():
    a = Anomaly("R2", "refdet", Protocol.ROLMRE)
    assert a.message("X") == "le format du paramètre REFDET de l'URL d'activation n'est pas conforme"
    assert a.message("T") == "le format du paramètre REFDET de l'URL de test n'est pas conforme"


def test_r8_test_and_activation_variants():
    a = Anomaly("R8", "refdet", Protocol.PESV2)
    assert a.message("X") == (
        "Aucun contrat créé, impossibilité d'activer le client, veuillez contacter l'administrateur TIPI"
    )
    assert a.message("T") == "Aucun contrat créé, tests impossibles, veuillez contacter l'administrateur TIPI"
    assert a.message("M") == a.message("A")
    assert a.message("M").startswith("Cette dette ne peut actuellement pas être payée par Internet.")


def test_m4_columns():
    a = Anomaly("M4", "montant", Protocol.INDIGO)
    assert a.message("T") == 'Le montant saisi est incorrect. Le paramètre "MONTANT" doit être égal à 111111.'
    assert a.message("X") == a.message("T")
    assert a.message("M") == (
        'Ce montant ne correspond pas à la référence saisie. Cliquer sur "Fermer la fenêtre" pour le ressaisir'
    )
    assert a.message("A").startswith("Suite à un problème technique")


def test_o1_manual_and_automatic_differ():
    a = Anomaly("O1", "objet", Protocol.INDIGO)
    assert a.message("M") == (
        "Les caractères utilisés dans la zone Objet sont incorrects, ils doivent être de forme alphanumérique."
    )
    assert a.message("A") == S1_TEXT + "."
    assert 'paramètre "OBJET"' in a.message("T")


def test_s1_text_and_automatic_full_stop():
    a = Anomaly("S1", "saisie", Protocol.INDIGO)
    assert a.message("M") == S1_TEXT
    assert a.message("T") == S1_TEXT
    assert a.message("A") == S1_TEXT + "."


@pytest.mark.parametrize("saisie", [None, "", "m", "Q"])
def test_unknown_saisie_falls_back_to_s1(saisie):
    assert Anomaly("M2", "montant", Protocol.INDIGO).message(saisie) == S1_TEXT + "."


def test_a1_and_a2_texts():
    assert Anomaly("A1", "mel", 1).message("X") == "La saisie de l'adresse mél est obligatoire"
    assert Anomaly("A2", "mel", 1).message("T") == 'L\'adresse contenue dans le paramètre "MEL" est incorrecte'
    assert Anomaly("A2", "mel", 1).message("M") == "Vous devez obligatoirement saisir une adresse électronique valide."


def test_u1_u2_texts():
    assert Anomaly("U1", "urlcl", 0).message("T") == "L'url retour n'est pas servie"
    assert "régie inscrite sur votre facture" in Anomaly("U1", "urlcl", 0).message("M")
    assert Anomaly("U2", "urlcl", 3).message("X") == "L'url retour n'est pas valide"


# --- protocol 0 substitutions ---------------------------------------------------------


@pytest.mark.parametrize("code", ["M2", "M3", "T5"])
@pytest.mark.parametrize("saisie", ["M", "A"])
def test_regie_substitutions(code, saisie):
    regie = make_anomaly(code, Protocol.REGIE).message(saisie)
    titre = make_anomaly(code, Protocol.INDIGO).message(saisie)
    assert "auprès de la Régie indiquée sur votre facture" in regie
    assert "Trésorerie" not in regie and "Avis des Sommes" not in regie
    assert "Trésorerie" in titre and "Avis des Sommes à" in titre and "Régie" not in titre


def test_m1_manual_has_only_footnote_1():
    assert (
        make_anomaly("M1", Protocol.REGIE)
        .message("M")
        .endswith("directement auprès de votre Régie en cas de nouvel échec.")
    )
    assert (
        make_anomaly("M1", Protocol.INDIGO)
        .message("M")
        .endswith("directement auprès de votre Trésorerie en cas de nouvel échec.")
    )


def test_m1_automatic_has_both_footnotes():
    assert make_anomaly("M1", Protocol.REGIE).message("A").endswith("auprès de la Régie indiquée sur votre facture")
    assert (
        make_anomaly("M1", Protocol.PESV2)
        .message("A")
        .endswith("auprès de la Trésorerie indiquée sur votre Avis des Sommes à Payer")
    )


def test_m2_message_quotes_the_civil_code():
    text = make_anomaly("M2", Protocol.ROLMRE).message("M")
    assert text.startswith("Selon l'article1341 du code civil mod. par décret N°2004-836 du 20/08/04")
    assert "supérieur ou égal à 1500,00 €" in text


def test_unmarked_texts_are_not_substituted():
    # R1's automatic text names the Trésorerie without footnote: kept as is.
    assert "Trésorerie" in make_anomaly("R1", Protocol.REGIE).message("A")


# --- values ---------------------------------------------------------------------------


def test_r6_shows_dattrans():
    text = make_anomaly("R6", Protocol.INDIGO).message("M", dattrans=datetime.date(2026, 3, 9))
    assert text == "Cette dette a déjà été réglée par Internet le : 09/03/2026"


def test_r6_accepts_a_datetime():
    text = make_anomaly("R6", Protocol.INDIGO).message("A", dattrans=datetime.datetime(2026, 3, 9, 14, 5))
    assert text.endswith("le : 09/03/2026")


def test_r11_shows_the_first_payable_day():
    text = make_anomaly("R11", Protocol.PESV2).message("A", date=datetime.date(2027, 1, 15))
    assert text.endswith("Vous pourrez payer cette dette à partir du 15/01/2027")


def test_r6_and_r11_need_their_date():
    with pytest.raises(TypeError, match="dattrans"):
        make_anomaly("R6", Protocol.INDIGO).message("M")
    with pytest.raises(TypeError, match="date"):
        make_anomaly("R11", Protocol.INDIGO).message("M")
    with pytest.raises(TypeError):
        make_anomaly("R6", Protocol.INDIGO).message("M", dattrans="22112026")


def test_unexpected_values_are_refused_but_known_ones_ignored():
    a = make_anomaly("M2", Protocol.INDIGO)
    assert a.message("M", dattrans=datetime.date(2026, 1, 1)) == a.message("M")
    with pytest.raises(TypeError, match="montant"):
        a.message("M", montant=5)


def test_m4_keeps_the_spec_text_where_tipi_shows_it_and_the_portal_says_it_in_its_own_words():
    m4 = make_anomaly("M4", Protocol.INDIGO)
    assert (
        m4.message("M")
        == 'Ce montant ne correspond pas à la référence saisie. Cliquer sur "Fermer la fenêtre" pour le ressaisir'
    )
    assert "Fermer la fenêtre" not in m4.portal_message("M")
    assert m4.portal_message("M").endswith("Avis des Sommes à Payer.")
    assert make_anomaly("M4", Protocol.REGIE).portal_message("M").endswith("votre facture.")


def test_portal_messages_are_the_spec_texts_where_the_portal_has_no_wording_of_its_own():
    for code in ANOMALY_CODES:
        anomaly = make_anomaly(code, Protocol.INDIGO)
        for saisie in ("M", "A", "T"):
            values = {"dattrans": datetime.date(2026, 3, 9)} if code == "R6" else {}
            values = {"date": datetime.date(2026, 3, 9)} if code == "R11" else values
            if (code, saisie) != ("M4", "M"):
                assert anomaly.portal_message(saisie, **values) == anomaly.message(saisie, **values)
