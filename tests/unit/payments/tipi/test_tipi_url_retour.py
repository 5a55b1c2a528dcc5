"""parse_url_retour: strict parsing of what TIPI POSTs to URLCL."""

from __future__ import annotations

import dataclasses
import datetime
from urllib.parse import quote, urlencode

import pytest

from payments.tipi import (
    InvalidUrlRetour,
    UrlRetour,
    encode_url_retour,
    format_dattrans,
    parse_dattrans,
    parse_url_retour,
)

BASE = {
    "numcli": "123456",
    "exer": "2026",
    "refdet": "202600001234000001",
    "objet": "Cantine janvier",
    "montant": "4250",
    "mel": "jean.dupont@example.fr",
    "saisie": "M",
    "resultrans": "P",
    "numauto": "123456",
    "dattrans": "22112026",
}


def body(**changes):
    """A form body from BASE, with changes (None removes a field)."""
    fields = dict(BASE)
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return urlencode(fields)


def problems(raw):
    with pytest.raises(InvalidUrlRetour) as caught:
        parse_url_retour(raw)
    assert isinstance(caught.value, ValueError)
    return caught.value.problems


def test_valid_paid_return():
    retour = parse_url_retour(body().encode())
    assert retour == UrlRetour(
        numcli="123456",
        exer="2026",
        refdet="202600001234000001",
        objet="Cantine janvier",
        montant=4250,
        mel="jean.dupont@example.fr",
        saisie="M",
        resultrans="P",
        numauto="123456",
        dattrans=datetime.date(2026, 11, 22),
        heurtrans=None,
    )
    assert retour.is_paid


def test_str_body_is_accepted():
    assert parse_url_retour(body()).montant == 4250


def test_url_retour_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_url_retour(body()).montant = 1


def test_upper_and_mixed_case_names():
    upper = "&".join(f"{k.upper()}={quote(v)}" for k, v in BASE.items())
    mixed = "&".join(f"{k[0].upper() + k[1:]}={quote(v)}" for k, v in BASE.items())
    assert parse_url_retour(upper) == parse_url_retour(body()) == parse_url_retour(mixed)


def test_resulttrans_spelling():
    retour = parse_url_retour(body(resultrans=None, numauto=None) + "&RESULTTRANS=R&numauto=")
    assert retour.resultrans == "R"


def test_both_spellings_agreeing_are_fine():
    assert parse_url_retour(body() + "&resulttrans=P").resultrans == "P"


def test_both_spellings_disagreeing_are_a_problem():
    found = problems(body() + "&RESULTTRANS=A")
    assert any("RESULTTRANS" in p for p in found)


def test_repeated_name_with_another_value_is_a_problem():
    found = problems(body() + "&montant=1")
    assert any("MONTANT" in p and "plusieurs fois" in p for p in found)


def test_repeated_name_with_the_same_value_is_fine():
    assert parse_url_retour(body() + "&MONTANT=4250").montant == 4250


def test_unknown_names_are_ignored():
    assert parse_url_retour(body() + "&foo=bar&idop=xyz").numcli == "123456"


@pytest.mark.parametrize("resultrans", ["R", "A"])
@pytest.mark.parametrize("numauto", ["", None])
def test_numauto_may_be_empty_or_absent_on_refused_or_cancelled(resultrans, numauto):
    retour = parse_url_retour(body(resultrans=resultrans, numauto=numauto))
    assert retour.numauto == ""
    assert not retour.is_paid


@pytest.mark.parametrize("numauto", ["", None])
def test_numauto_required_on_paid(numauto):
    assert any("NUMAUTO" in p for p in problems(body(numauto=numauto)))


@pytest.mark.parametrize(("resultrans", "paid"), [("V", True), ("Z", False)])
def test_debit_results_are_known(resultrans, paid):
    """PayFiP's single SEPA debit: V paid, Z refused (PAYFIP.md §2), not malformed."""
    retour = parse_url_retour(body(resultrans=resultrans, numauto=""))
    assert retour.resultrans == resultrans
    assert retour.is_known_result
    assert retour.is_paid is paid


def test_debit_paid_with_numauto_keeps_it():
    assert parse_url_retour(body(resultrans="V", numauto="7654321")).numauto == "7654321"


@pytest.mark.parametrize("resultrans", ["Q", "W", "p", "v"])
@pytest.mark.parametrize("numauto", ["", "123456"])
def test_another_letter_is_parsed_as_unknown_not_malformed(resultrans, numauto):
    """Annex 4: RESULTRANS is « Alphabétique 1 »; a letter the portal does not know (a future
    means of payment, or a lower-case letter) is kept for staff, not refused as malformed."""
    retour = parse_url_retour(body(resultrans=resultrans, numauto=numauto))
    assert retour.resultrans == resultrans
    assert not retour.is_known_result
    assert not retour.is_paid


@pytest.mark.parametrize("numauto", ["1234567", "XXXXXX", "A1B2C3", "1", "A" * 16])
def test_numauto_alphanumeric_accepted(numauto):
    assert parse_url_retour(body(numauto=numauto)).numauto == numauto


@pytest.mark.parametrize("numauto", ["A" * 17, "12-34", "12 34", "é12345"])
def test_numauto_bad(numauto):
    assert any("NUMAUTO" in p for p in problems(body(numauto=numauto)))


def test_bad_numauto_on_refused_is_still_a_problem():
    assert any("NUMAUTO" in p for p in problems(body(resultrans="R", numauto="12-34")))


@pytest.mark.parametrize(
    "dattrans",
    [
        "31022026",
        "29022025",
        "00012026",
        "01132026",
        "01010000",
        "2026-11-22",
        "1122026",
        "221120260",
        "22/11/2026",
        "2211202X",
    ],
)
def test_bad_dattrans(dattrans):
    assert any("DATTRANS" in p for p in problems(body(dattrans=dattrans)))


def test_leap_day_dattrans():
    assert parse_url_retour(body(dattrans="29022024")).dattrans == datetime.date(2024, 2, 29)


def test_missing_fields_are_all_listed():
    found = problems("numcli=123456&foo=bar")
    joined = " | ".join(found)
    for name in ("REFDET", "MONTANT", "MEL", "SAISIE", "RESULTRANS", "DATTRANS"):
        assert f"{name} absent" in joined
    assert "NUMCLI" not in joined
    assert "EXER" not in joined and "OBJET" not in joined


def test_several_bad_values_are_all_listed():
    found = problems(body(numcli="12345", montant="12,50", saisie="Z", dattrans="31022026"))
    assert len(found) == 4
    assert [p.split()[0] for p in found] == ["NUMCLI", "MONTANT", "SAISIE", "DATTRANS"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("numcli", "1234567"),
        ("numcli", "12345a"),
        ("refdet", "12345"),
        ("refdet", "A" * 31),
        ("refdet", "2026-0001"),
        ("montant", "1234567"),
        ("montant", "12.5"),
        ("montant", "-1"),
        ("mel", "a@b.f"),
        ("mel", "pas-une-adresse"),
        ("saisie", "m"),
        ("saisie", "W"),
        ("resultrans", "7"),
        ("resultrans", "OK"),
        ("resultrans", "É"),
        ("resultrans", "-"),
        ("exer", "26"),
        ("objet", "Cantine été"),
        ("objet", "x" * 100),
    ],
)
def test_bad_values(name, value):
    found = problems(body(**{name: value}))
    assert len(found) == 1 and found[0].startswith(name.upper())


def test_bad_mel_is_not_copied_to_the_problem():
    found = problems(body(mel="secret-personne"))
    assert found and "secret-personne" not in found[0]


@pytest.mark.parametrize("refdet", ["999900000000999999", "999999990000000000000", "FAC001"])
def test_any_protocol_refdet(refdet):
    assert parse_url_retour(body(refdet=refdet)).refdet == refdet


def test_optional_fields_absent_or_empty_are_none():
    retour = parse_url_retour(body(exer=None, objet=""))
    assert retour.exer is None and retour.objet is None


def test_plus_is_a_space():
    assert parse_url_retour(body().replace("Cantine%20janvier", "Cantine+janvier")).objet == "Cantine janvier"


def test_montant_leading_zeros():
    assert parse_url_retour(body(montant="000099")).montant == 99


@pytest.mark.parametrize(
    ("heurtrans", "ok"),
    [
        ("1430", True),
        ("0000", True),
        ("2359", True),
        ("2400", False),
        ("1260", False),
        ("930", False),
        ("14:30", False),
    ],
)
def test_heurtrans(heurtrans, ok):
    if ok:
        assert parse_url_retour(body(heurtrans=heurtrans)).heurtrans == heurtrans
    else:
        assert any("HEURTRANS" in p for p in problems(body(heurtrans=heurtrans)))


def test_surrounding_whitespace_of_the_body_is_tolerated():
    assert parse_url_retour(body() + "\r\n").dattrans == datetime.date(2026, 11, 22)


def test_utf8_bom_is_tolerated():
    assert parse_url_retour(b"\xef\xbb\xbf" + body().encode()).numcli == "123456"


# --- garbage ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"",
        "",
        "   ",
        b"\xff\xfe\x00\x01",
        body().encode("utf-16"),
        '{"numcli": "123456"}',
        "<xml/>",
        42,
        ["numcli=123456"],
        body(objet=None) + "&objet=%FF%FE",
        body().replace("=", ""),
        "&&&",
    ],
)
def test_garbage_raises_only_invalid_url_retour(raw):
    found = problems(raw)
    assert found and all(isinstance(p, str) and p for p in found)


@pytest.mark.parametrize(
    "tail",
    [
        "&objet=Cantine+été".encode("latin-1"),  # raw latin-1 bytes
        b"&objet=Cantine+%E9t%E9",  # latin-1 percent-encoded
    ],
)
def test_latin1_is_refused(tail):
    assert any("UTF-8" in p for p in problems(body(objet=None).encode() + tail))


# --- helpers ------------------------------------------------------------------------


def test_format_and_parse_dattrans():
    assert format_dattrans(datetime.date(2026, 1, 2)) == "02012026"
    assert parse_dattrans("02012026") == datetime.date(2026, 1, 2)
    with pytest.raises(ValueError):
        parse_dattrans("2026-01-02")
    with pytest.raises(ValueError):
        parse_dattrans("31042026")


def test_encode_url_retour_round_trip_and_order():
    retour = parse_url_retour(body(resultrans="A", numauto="", heurtrans="0905"))
    encoded = encode_url_retour(retour)
    assert encoded.startswith("numcli=123456&exer=2026&refdet=")
    assert encoded.endswith("&resultrans=A&numauto=&dattrans=22112026&heurtrans=0905")
    assert parse_url_retour(encoded) == retour


def test_encode_url_retour_leaves_out_absent_optionals():
    retour = parse_url_retour(body(exer=None, objet=None))
    encoded = encode_url_retour(retour)
    assert "exer=" not in encoded and "objet=" not in encoded and "heurtrans" not in encoded
