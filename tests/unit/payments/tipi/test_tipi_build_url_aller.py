"""build_url_aller, normalise_objet and the annex-6 test/activation values."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from payments.tipi import (
    PARAM_ORDER,
    ROLMRE_TEST_REFDET_AS_PRINTED,
    TEST_CARD_CVV,
    TEST_CARD_NUMBER,
    TEST_REFDET,
    InvalidUrlAller,
    Protocol,
    build_url_aller,
    check_url_aller,
    is_valid_objet,
    is_valid_refdet,
    normalise_objet,
    url_aller_endpoint,
)
from payments.tipi import test_url_params as make_test_params
from tests.unit.payments.tipi.tipi_samples import URLCL, valid_params

PAYFIP = "https://www.payfip.gouv.fr"


def query_pairs(url):
    return parse_qsl(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)


# --- URL shape --------------------------------------------------------------------


def test_exact_url_in_spec_order_with_percent_encoding():
    params = {
        "saisie": "M",
        "mel": "jean+tipi@example.fr",
        "urlcl": "https://portail.example.fr/retour?x=1&y=2",
        "montant": "4250",
        "objet": "Cantine janvier",
        "refdet": "202600001234000001",
        "exer": "2026",
        "numcli": "123456",
    }
    url = build_url_aller(PAYFIP, params, Protocol.INDIGO)
    assert url == (
        "https://www.payfip.gouv.fr/tpa/paiement.web?numcli=123456&exer=2026"
        "&refdet=202600001234000001&objet=Cantine%20janvier&montant=4250"
        "&urlcl=https%3A%2F%2Fportail.example.fr%2Fretour%3Fx%3D1%26y%3D2"
        "&mel=jean%2Btipi%40example.fr&saisie=M"
    )


def test_parameters_follow_param_order_and_decode_back():
    params = valid_params(Protocol.REGIE, "A")
    pairs = query_pairs(build_url_aller(PAYFIP, params, Protocol.REGIE))
    assert [name for name, _ in pairs] == [n for n in PARAM_ORDER if n in params]
    assert dict(pairs) == params


def test_param_order_is_the_spec_syntax():
    assert PARAM_ORDER == ("numcli", "exer", "refdet", "objet", "montant", "urlcl", "mel", "saisie")


def test_optional_parameters_left_out_when_not_given():
    params = valid_params(Protocol.PESV2, exer="", objet=None)
    names = [name for name, _ in query_pairs(build_url_aller(PAYFIP, params, Protocol.PESV2))]
    assert names == ["numcli", "refdet", "montant", "mel", "saisie"]


@pytest.mark.parametrize(
    ("base", "endpoint"),
    [
        ("https://www.payfip.gouv.fr", "https://www.payfip.gouv.fr/tpa/paiement.web"),
        ("https://www.payfip.gouv.fr/", "https://www.payfip.gouv.fr/tpa/paiement.web"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/tpa/paiement.web"),
        ("https://www.payfip.gouv.fr/tpa/paiement.web", "https://www.payfip.gouv.fr/tpa/paiement.web"),
        ("http://127.0.0.1:8000/sandbox/tpa/paiement.web?", "http://127.0.0.1:8000/sandbox/tpa/paiement.web"),
    ],
)
def test_endpoint(base, endpoint):
    assert url_aller_endpoint(base) == endpoint
    assert build_url_aller(base, valid_params(Protocol.INDIGO), Protocol.INDIGO).startswith(endpoint + "?numcli=")


def test_empty_base_url_is_refused():
    with pytest.raises(ValueError, match="base_url"):
        build_url_aller("  ", valid_params(Protocol.INDIGO), Protocol.INDIGO)


# --- refusals ---------------------------------------------------------------------


def test_raises_with_every_anomaly():
    params = valid_params(Protocol.INDIGO, montant="150000", mel="x@y", refdet="123")
    with pytest.raises(InvalidUrlAller) as caught:
        build_url_aller(PAYFIP, params, Protocol.INDIGO)
    assert [a.code for a in caught.value.anomalies] == ["R1", "M2", "A2"]
    assert isinstance(caught.value, ValueError)
    assert "M2" in str(caught.value)


def test_raises_on_missing_urlcl_for_compte_usager():
    with pytest.raises(InvalidUrlAller) as caught:
        build_url_aller(PAYFIP, valid_params(Protocol.ROLMRE, "A"), Protocol.ROLMRE)
    assert [(a.code, a.field) for a in caught.value.anomalies] == [("U2", "urlcl")]


def test_unknown_parameter_is_refused():
    params = valid_params(Protocol.INDIGO)
    params["idop"] = "abc"
    with pytest.raises(ValueError, match=r"^idop: "):
        build_url_aller(PAYFIP, params, Protocol.INDIGO)


@pytest.mark.parametrize("exer", ["26", "20266", "ABCD"])
def test_malformed_exer_is_refused(exer):
    with pytest.raises(ValueError, match=r"^exer: "):
        build_url_aller(PAYFIP, valid_params(Protocol.INDIGO, exer=exer), Protocol.INDIGO)


# --- OBJET ------------------------------------------------------------------------


def test_objet_is_normalised_before_checking():
    params = valid_params(Protocol.INDIGO, objet="Cantine d'été n°3 — Œuf/Bœuf")
    assert check_url_aller(params, Protocol.INDIGO)[0].code == "O1"
    pairs = dict(query_pairs(build_url_aller(PAYFIP, params, Protocol.INDIGO)))
    assert pairs["objet"] == "Cantine d ete n 3 OEuf Boeuf"


def test_objet_with_nothing_left_is_omitted():
    pairs = dict(
        query_pairs(build_url_aller(PAYFIP, valid_params(Protocol.INDIGO, objet="!!! --- ???"), Protocol.INDIGO))
    )
    assert "objet" not in pairs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cantine d'été n°3 — Œuf/Bœuf", "Cantine d ete n 3 OEuf Boeuf"),
        ("ÇA ÆTHER straße ﬁn ２０２６", "CA AETHER strasse fin 2026"),
        ("  a\t\nb  ", "a b"),
        ("ticket#12/2026", "ticket 12 2026"),
        ("", ""),
        ("Déjà payé", "Deja paye"),
    ],
)
def test_normalise_objet(text, expected):
    assert normalise_objet(text) == expected


def test_normalise_objet_cuts_to_99_without_trailing_space():
    assert normalise_objet("é" * 150) == "e" * 99
    cut = normalise_objet("ab " * 40)
    assert len(cut) == 98 and not cut.endswith(" ")
    assert is_valid_objet(normalise_objet("x" * 500))


# --- annex 6 test/activation values --------------------------------------------------


@pytest.mark.parametrize("protocol", [Protocol.INDIGO, Protocol.PESV2])
def test_titre_test_refdet(protocol):
    assert TEST_REFDET[protocol] == "999900000000999999"


def test_rolmre_test_refdet_reads_the_20_printed_characters_as_21():
    assert len(ROLMRE_TEST_REFDET_AS_PRINTED) == 20
    assert not is_valid_refdet(Protocol.ROLMRE, ROLMRE_TEST_REFDET_AS_PRINTED)  # R2 would refuse it
    assert TEST_REFDET[Protocol.ROLMRE] == "9999" + "99" + "99" + "0000000000000"
    assert len(TEST_REFDET[Protocol.ROLMRE]) == 21
    assert is_valid_refdet(Protocol.ROLMRE, TEST_REFDET[Protocol.ROLMRE])


@pytest.mark.parametrize("protocol", [Protocol.INDIGO, Protocol.ROLMRE, Protocol.PESV2])
@pytest.mark.parametrize("saisie", ["T", "X"])
def test_test_url_params_build_a_valid_url(protocol, saisie):
    params = make_test_params(protocol, "123456", "testeur@mairie.fr", saisie)
    assert params == {
        "numcli": "123456",
        "exer": "9999",
        "refdet": TEST_REFDET[protocol],
        "montant": "111111",
        "mel": "testeur@mairie.fr",
        "saisie": saisie,
    }
    assert check_url_aller(params, protocol) == []
    pairs = query_pairs(build_url_aller(PAYFIP, params, protocol))
    assert pairs == list(params.items())


def test_test_url_params_with_urlcl_in_spec_order():
    params = make_test_params(Protocol.PESV2, "123456", "testeur@mairie.fr", "X", urlcl=URLCL)
    assert list(params) == ["numcli", "exer", "refdet", "montant", "urlcl", "mel", "saisie"]
    assert params["urlcl"] == URLCL


@pytest.mark.parametrize("saisie", ["M", "A", "t", "", None])
def test_test_url_params_refuses_other_saisie(saisie):
    with pytest.raises(ValueError, match="saisie"):
        make_test_params(Protocol.INDIGO, "123456", "testeur@mairie.fr", saisie)


@pytest.mark.parametrize("saisie", ["T", "X"])
def test_test_url_params_of_a_regie_pass_protocol_0_controls(saisie):
    # Annex 6 imposes no régie value: the titres' ones, which fit protocol 0 (6-30 alphanumerics).
    params = make_test_params(Protocol.REGIE, "123456", "testeur@mairie.fr", saisie, urlcl=URLCL)
    assert params["refdet"] == "999900000000999999" and params["montant"] == "111111"
    assert check_url_aller(params, Protocol.REGIE) == []
    assert query_pairs(build_url_aller(PAYFIP, params, Protocol.REGIE))[2] == ("refdet", "999900000000999999")


def test_test_url_params_of_a_regie_without_urlcl_is_u1():
    # Protocol 0 requires URLCL, for test and activation too (annex 10, U1).
    params = make_test_params(Protocol.REGIE, "123456", "testeur@mairie.fr", "X")
    assert [a.code for a in check_url_aller(params, Protocol.REGIE)] == ["U1"]


def test_test_card():
    assert TEST_CARD_NUMBER == "1111222233334444"
    assert TEST_CARD_CVV == "123"


def test_test_url_params_is_not_collected_as_a_test():
    assert make_test_params.__test__ is False
