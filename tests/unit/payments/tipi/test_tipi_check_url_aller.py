"""check_url_aller: every annex-10 control the portal runs itself, at its boundaries."""

from __future__ import annotations

import pytest

from payments.tipi import Anomaly, Protocol, check_url_aller
from tests.unit.payments.tipi.tipi_samples import URLCL, valid_params

ALL_PROTOCOLS = list(Protocol)
TITRE_ROLE = [Protocol.INDIGO, Protocol.ROLMRE, Protocol.PESV2]


def codes(params, protocol):
    return [a.code for a in check_url_aller(params, protocol)]


@pytest.mark.parametrize("protocol", ALL_PROTOCOLS)
@pytest.mark.parametrize("saisie", ["M", "T", "X"])
def test_valid_params_have_no_anomaly(protocol, saisie):
    assert check_url_aller(valid_params(protocol, saisie), protocol) == []


@pytest.mark.parametrize("protocol", ALL_PROTOCOLS)
def test_saisie_a_with_urlcl_is_valid(protocol):
    assert check_url_aller(valid_params(protocol, "A", urlcl=URLCL), protocol) == []


def test_protocol_may_be_a_plain_int():
    params = valid_params(Protocol.INDIGO, refdet="1")
    assert check_url_aller(params, 1) == [Anomaly("R1", "refdet", Protocol.INDIGO)]


def test_anomalies_carry_field_and_protocol():
    found = check_url_aller(valid_params(Protocol.ROLMRE, montant="150000"), Protocol.ROLMRE)
    assert found == [Anomaly("M2", "montant", Protocol.ROLMRE)]


def test_upper_case_names_are_accepted():
    params = {k.upper(): v for k, v in valid_params(Protocol.INDIGO).items()}
    assert check_url_aller(params, Protocol.INDIGO) == []


# --- S1 -------------------------------------------------------------------------


@pytest.mark.parametrize("saisie", [None, "", "m", "Z", "MA", " M", "W"])
def test_s1_bad_or_missing_saisie(saisie):
    params = valid_params(Protocol.INDIGO)
    if saisie is None:
        del params["saisie"]
    else:
        params["saisie"] = saisie
    assert codes(params, Protocol.INDIGO) == ["S1"]


# --- T1 -------------------------------------------------------------------------


@pytest.mark.parametrize("numcli", [None, "", "12345", "1234567", "12345a", "12 456", "１２３４５６", "-12345"])
def test_t1_numcli_not_six_digits(numcli):
    params = valid_params(Protocol.PESV2, numcli=numcli)
    assert codes(params, Protocol.PESV2) == ["T1"]


@pytest.mark.parametrize("numcli", ["000000", "999999", "012345"])
def test_t1_six_digits_pass(numcli):
    assert codes(valid_params(Protocol.PESV2, numcli=numcli), Protocol.PESV2) == []


# --- R1 / R2 / R3 -----------------------------------------------------------------


@pytest.mark.parametrize("protocol", [Protocol.INDIGO, Protocol.PESV2])
@pytest.mark.parametrize(
    "refdet",
    [
        None,
        "",
        "2026" + "0" * 13,
        "2026" + "0" * 15,
        "20260000123400000A",
        "2026 0001234000001",
        "２０２６00001234000001",
    ],
)
def test_r1_titres_need_18_digits(protocol, refdet):
    assert codes(valid_params(protocol, refdet=refdet), protocol) == ["R1"]


@pytest.mark.parametrize("protocol", [Protocol.INDIGO, Protocol.PESV2])
def test_r1_18_digits_pass(protocol):
    assert codes(valid_params(protocol, refdet="9" * 18), protocol) == []


@pytest.mark.parametrize(
    "refdet",
    [
        None,
        "2026AB00000000001234",  # 20
        "2026AB0000000000123456",  # 22
        "2026AB00000000001234é",  # 21 with an accent
        "2026ÉB000000000012345",  # 21 with an accented capital
        "2026AB-00000000012345",  # 21 with a dash
    ],
)
def test_r2_rolmre_needs_21_alphanumerics_without_accent(refdet):
    assert codes(valid_params(Protocol.ROLMRE, refdet=refdet), Protocol.ROLMRE) == ["R2"]


@pytest.mark.parametrize("refdet", ["2026ab000000000012345", "999999990000000000000", "2026AB00XYZ0000012345"])
def test_r2_21_alphanumerics_pass(refdet):
    assert codes(valid_params(Protocol.ROLMRE, refdet=refdet), Protocol.ROLMRE) == []


@pytest.mark.parametrize("refdet", [None, "ABC12", "A" * 31, "FAC-2026", "FACTURE 1", "FACTURÉ1"])
def test_r3_regie_needs_6_to_30_alphanumerics(refdet):
    assert codes(valid_params(Protocol.REGIE, refdet=refdet), Protocol.REGIE) == ["R3"]


@pytest.mark.parametrize("refdet", ["ABC123", "a" * 30, "000001"])
def test_r3_boundaries_pass(refdet):
    assert codes(valid_params(Protocol.REGIE, refdet=refdet), Protocol.REGIE) == []


@pytest.mark.parametrize(
    ("protocol", "code"),
    [(Protocol.REGIE, "R3"), (Protocol.INDIGO, "R1"), (Protocol.ROLMRE, "R2"), (Protocol.PESV2, "R1")],
)
def test_refdet_code_depends_on_protocol(protocol, code):
    assert codes(valid_params(protocol, refdet="x"), protocol) == [code]


def test_titre_reference_is_not_a_role_reference():
    # 18 digits pass R1 but fail R2; 21 alphanumerics the other way round.
    assert codes(valid_params(Protocol.ROLMRE, refdet="9" * 18), Protocol.ROLMRE) == ["R2"]
    assert codes(valid_params(Protocol.INDIGO, refdet="9" * 21), Protocol.INDIGO) == ["R1"]


# --- O1 -------------------------------------------------------------------------


@pytest.mark.parametrize("objet", ["Cantine été", "Facture n°3", "a/b", "ticket#12", "l'école", "A" * 100, "tab\there"])
def test_o1_bad_objet(objet):
    assert codes(valid_params(Protocol.INDIGO, objet=objet), Protocol.INDIGO) == ["O1"]


@pytest.mark.parametrize("objet", ["A" * 99, "Cantine Janvier 2026", "   ", "0"])
def test_o1_good_objet(objet):
    assert codes(valid_params(Protocol.INDIGO, objet=objet), Protocol.INDIGO) == []


@pytest.mark.parametrize("objet", [None, ""])
def test_o1_objet_is_optional(objet):
    assert codes(valid_params(Protocol.INDIGO, objet=objet), Protocol.INDIGO) == []


# --- M1 to M4 ---------------------------------------------------------------------


@pytest.mark.parametrize("montant", [None, "", "12,50", "12.50", "1234567", "abc", "-100", " 100", "1e3", "１００"])
def test_m1_bad_montant_alone(montant):
    # M2/M3 are not reported on top of M1: they need a well-formed amount.
    assert codes(valid_params(Protocol.INDIGO, montant=montant), Protocol.INDIGO) == ["M1"]


@pytest.mark.parametrize(("montant", "expected"), [("149999", []), ("150000", ["M2"]), ("999999", ["M2"])])
def test_m2_at_1500_euros(montant, expected):
    assert codes(valid_params(Protocol.INDIGO, montant=montant), Protocol.INDIGO) == expected


@pytest.mark.parametrize(
    ("montant", "expected"), [("99", ["M3"]), ("100", []), ("0", ["M3"]), ("000099", ["M3"]), ("1", ["M3"])]
)
def test_m3_below_one_euro(montant, expected):
    assert codes(valid_params(Protocol.PESV2, "A", montant=montant, urlcl=URLCL), Protocol.PESV2) == expected


@pytest.mark.parametrize("saisie", ["T", "X"])
@pytest.mark.parametrize("montant", ["111112", "150000", "50", "11111"])
def test_m4_test_amount_must_be_111111_and_m2_m3_stay_silent(saisie, montant):
    assert codes(valid_params(Protocol.INDIGO, saisie, montant=montant), Protocol.INDIGO) == ["M4"]


@pytest.mark.parametrize("saisie", ["T", "X"])
def test_m4_test_amount_111111_passes(saisie):
    assert codes(valid_params(Protocol.ROLMRE, saisie, montant="111111"), Protocol.ROLMRE) == []


def test_m4_not_reported_when_m1_already_is():
    assert codes(valid_params(Protocol.INDIGO, "T", montant="1111111"), Protocol.INDIGO) == ["M1"]


def test_m4_is_not_checked_in_manual_mode():
    # In M/A mode M4 compares with the debt in TIPI's base: not the portal's control.
    assert codes(valid_params(Protocol.INDIGO, montant="111111"), Protocol.INDIGO) == []


# --- A1 / A2 --------------------------------------------------------------------


@pytest.mark.parametrize("mel", [None, ""])
def test_a1_missing_mel(mel):
    assert codes(valid_params(Protocol.INDIGO, mel=mel), Protocol.INDIGO) == ["A1"]


def _mel_of_length(n):
    domain = "@ex.fr"
    return "a" * (n - len(domain)) + domain


@pytest.mark.parametrize(
    ("mel", "expected"),
    [
        ("a@b.f", ["A2"]),  # 5
        ("a@b.fr", []),  # 6
        (_mel_of_length(80), []),
        (_mel_of_length(81), ["A2"]),
        ("jean.dupont.example.fr", ["A2"]),  # no @
        ("jean@example", ["A2"]),  # no .
    ],
)
def test_a2_mel_bounds_and_characters(mel, expected):
    assert codes(valid_params(Protocol.INDIGO, mel=mel), Protocol.INDIGO) == expected


def test_mel_length_helper():
    assert len(_mel_of_length(80)) == 80 and len(_mel_of_length(81)) == 81


# --- U1 / U2 --------------------------------------------------------------------


def _url_of_length(n):
    prefix = "https://portail.example.fr/"
    return prefix + "r" * (n - len(prefix))


@pytest.mark.parametrize(
    ("urlcl", "expected"),
    [
        (None, ["U1"]),
        ("", ["U1"]),
        ("ftp://portail.example.fr/retour", ["U1"]),
        ("portail.example.fr/retour", ["U1"]),
        ("http://", ["U1"]),
        (_url_of_length(249), []),
        (_url_of_length(250), ["U1"]),
        ("http://portail.example.fr/retour", []),
        ("https://portail.example.fr/retour", []),
    ],
)
def test_u1_regie_urlcl_mandatory(urlcl, expected):
    assert codes(valid_params(Protocol.REGIE, urlcl=urlcl), Protocol.REGIE) == expected


@pytest.mark.parametrize("protocol", TITRE_ROLE)
@pytest.mark.parametrize(
    ("urlcl", "expected"),
    [
        (None, []),
        ("", []),
        ("ftp://portail.example.fr/retour", ["U2"]),
        ("javascript:alert(1)", ["U2"]),
        (_url_of_length(249), []),
        (_url_of_length(250), ["U2"]),
    ],
)
def test_u2_titre_role_urlcl_optional_but_well_formed(protocol, urlcl, expected):
    assert codes(valid_params(protocol, urlcl=urlcl), protocol) == expected


@pytest.mark.parametrize("protocol", TITRE_ROLE)
@pytest.mark.parametrize("urlcl", [None, ""])
def test_u2_urlcl_mandatory_for_compte_usager(protocol, urlcl):
    # Annex 4: "Obligatoire en cas de compte-usager" (SAISIE=A).
    assert codes(valid_params(protocol, "A", urlcl=urlcl), protocol) == ["U2"]


@pytest.mark.parametrize("saisie", ["T", "X"])
def test_urlcl_optional_in_test_and_activation(saisie):
    assert codes(valid_params(Protocol.INDIGO, saisie, urlcl=None), Protocol.INDIGO) == []


def test_url_length_helper():
    assert len(_url_of_length(249)) == 249 and len(_url_of_length(250)) == 250


# --- order ----------------------------------------------------------------------


def test_everything_wrong_comes_in_spec_order_titre():
    params = {"saisie": "Q", "numcli": "12", "refdet": "abc", "objet": "é", "montant": "1,5"}
    found = check_url_aller(params, Protocol.INDIGO)
    assert [a.code for a in found] == ["S1", "T1", "R1", "O1", "M1", "A1"]
    assert [a.field for a in found] == ["saisie", "numcli", "refdet", "objet", "montant", "mel"]


def test_everything_wrong_comes_in_spec_order_role():
    params = {
        "numcli": "ABCDEF",
        "refdet": "2026",
        "objet": "#",
        "montant": "150000",
        "mel": "x",
        "urlcl": "ftp://x",
    }
    assert codes(params, Protocol.ROLMRE) == ["S1", "T1", "R2", "O1", "M2", "A2", "U2"]


def test_everything_wrong_comes_in_spec_order_regie():
    params = {"saisie": "A", "refdet": "x", "montant": "50", "mel": "a@b"}
    assert codes(params, Protocol.REGIE) == ["T1", "R3", "M3", "A2", "U1"]


def test_empty_params_report_every_required_parameter():
    assert codes({}, Protocol.PESV2) == ["S1", "T1", "R1", "M1", "A1"]
    assert codes({}, Protocol.REGIE) == ["S1", "T1", "R3", "M1", "A1", "U1"]


def test_unknown_names_are_ignored_by_the_check():
    params = valid_params(Protocol.INDIGO)
    params["foo"] = "bar"
    assert check_url_aller(params, Protocol.INDIGO) == []
