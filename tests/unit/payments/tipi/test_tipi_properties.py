"""Property tests: valid parts always make a valid URL aller, and its retour parses back."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from payments.tipi import (
    RESULTRANS_VALUES,
    TEST_REFDET,
    InvalidUrlRetour,
    Protocol,
    UrlRetour,
    build_url_aller,
    check_url_aller,
    compose_refdet,
    format_dattrans,
    is_valid_objet,
    is_valid_refdet,
    normalise_objet,
    numauto_required,
    parse_url_retour,
)

DIGITS = "0123456789"
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + DIGITS


def digits(min_size, max_size):
    return st.text(DIGITS, min_size=min_size, max_size=max_size)


@st.composite
def refdet_parts(draw, protocol):
    """Parts of a REFDET as an importer would find them (unpadded, sometimes ints)."""
    if protocol is Protocol.INDIGO:
        return {
            "codexer": draw(digits(4, 4)),
            "numtitre": draw(st.one_of(digits(1, 8), st.integers(0, 99_999_999))),
            "numordre": draw(digits(1, 6)),
            "nature_titre": draw(st.sampled_from([None, "00", "01", "03", "09", "10"])),
        }
    if protocol is Protocol.PESV2:
        return {
            "exer": draw(digits(4, 4)),
            "idpce": draw(st.integers(0, 99_999_999).map(str)),
            "idligne": draw(digits(1, 6)),
        }
    if protocol is Protocol.ROLMRE:
        parts = {
            "rolex": draw(digits(4, 4)),
            "roldet": draw(st.one_of(digits(1, 13), st.text(ALNUM, min_size=13, max_size=13))),
        }
        if draw(st.booleans()):  # EAU
            parts["rolrec"] = draw(st.text(ALNUM, min_size=2, max_size=2))
            parts["roldeb"] = draw(st.one_of(st.none(), digits(1, 2)))
        else:  # DDPAC
            parts["rolnat"] = draw(digits(1, 2))
        return parts
    return {"refdet": draw(st.text(ALNUM, min_size=6, max_size=30))}


# Characters that need percent-encoding, to exercise the URL syntax.
AWKWARD = "&=+%#?/ é'!"
mels = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.text(ALNUM + "._-" + AWKWARD, min_size=1, max_size=30),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=30),
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6),
)
urlcls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}",
    st.sampled_from(["http", "https", "HTTPS"]),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789.-", min_size=1, max_size=40),
    st.text(ALNUM + AWKWARD, max_size=150),
)


@st.composite
def valid_aller(draw):
    """(protocol, params) for an URL aller TIPI would accept."""
    protocol = draw(st.sampled_from(list(Protocol)))
    saisie = draw(st.sampled_from(["M", "A", "T", "X"]))
    if saisie in ("T", "X"):
        refdet = TEST_REFDET[protocol]
        montant = "111111"
    else:
        refdet = compose_refdet(protocol, **draw(refdet_parts(protocol)))
        cents = draw(st.integers(100, 149_999))
        montant = str(cents).zfill(draw(st.integers(1, 6)))
    params = {
        "numcli": draw(digits(6, 6)),
        "refdet": refdet,
        "montant": montant,
        "mel": draw(mels),
        "saisie": saisie,
    }
    if draw(st.booleans()):
        params["exer"] = draw(digits(4, 4))
    if draw(st.booleans()):
        params["objet"] = draw(st.text(ALNUM + " ", max_size=99))
    if protocol is Protocol.REGIE or saisie == "A" or draw(st.booleans()):
        params["urlcl"] = draw(urlcls)
    return protocol, params


def sent_params(url):
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True, strict_parsing=True))


@settings(deadline=None)
@given(valid_aller())
def test_valid_parts_always_pass_and_build(case):
    protocol, params = case
    assert check_url_aller(params, protocol) == []
    sent = sent_params(build_url_aller("https://www.payfip.gouv.fr", params, protocol))
    expected = {k: v for k, v in params.items() if v != ""}
    if "objet" in expected:
        expected["objet"] = normalise_objet(expected["objet"])
        if not expected["objet"]:
            del expected["objet"]
    assert sent == expected


@settings(deadline=None)
@given(st.sampled_from(list(Protocol)), st.data())
def test_composed_refdet_always_matches_its_protocol(protocol, data):
    assert is_valid_refdet(protocol, compose_refdet(protocol, **data.draw(refdet_parts(protocol))))


def random_case(data, name):
    flags = data.draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if up else c for c, up in zip(name, flags))


@settings(deadline=None)
@given(
    valid_aller(),
    # The known codes, and any other ASCII letter (a well-formed code the portal does not know).
    st.one_of(st.sampled_from(RESULTRANS_VALUES), st.from_regex(r"[A-Za-z]", fullmatch=True)),
    st.dates(min_value=datetime.date(1000, 1, 1)),
    st.data(),
)
def test_retour_of_any_valid_aller_parses_back(case, resultrans, dattrans, data):
    protocol, params = case
    sent = sent_params(build_url_aller("https://www.payfip.gouv.fr", params, protocol))
    fields = dict(sent)
    fields["resultrans"] = resultrans
    if numauto_required(resultrans):
        numauto = data.draw(st.text(ALNUM, min_size=1, max_size=16))
    else:
        numauto = data.draw(st.sampled_from(["", None, "1234567"]))
    if numauto is not None:
        fields["numauto"] = numauto
    fields["dattrans"] = format_dattrans(dattrans)
    heurtrans = data.draw(st.one_of(st.none(), st.times().map(lambda t: t.strftime("%H%M"))))
    if heurtrans is not None:
        fields["heurtrans"] = heurtrans
    quoting = data.draw(st.sampled_from([quote, quote_plus]))
    pairs = []
    for name, value in data.draw(st.permutations(list(fields.items()))):
        if name == "resultrans":
            name = data.draw(st.sampled_from(["resultrans", "resulttrans"]))
        pairs.append(f"{quoting(random_case(data, name), safe='')}={quoting(value, safe='')}")
    raw = "&".join(pairs)
    if data.draw(st.booleans()):
        raw = raw.encode("ascii")

    parsed = parse_url_retour(raw)
    assert parsed.is_known_result is (resultrans in RESULTRANS_VALUES)
    assert parsed == UrlRetour(
        numcli=sent["numcli"],
        exer=sent.get("exer"),
        refdet=sent["refdet"],
        objet=sent.get("objet"),
        montant=int(sent["montant"]),
        mel=sent["mel"],
        saisie=sent["saisie"],
        resultrans=resultrans,
        numauto=numauto or "",
        dattrans=dattrans,
        heurtrans=heurtrans,
    )


@settings(deadline=None)
@given(st.integers(0, 999_999), st.sampled_from(["M", "A"]))
def test_amount_bounds(cents, saisie):
    params = {
        "numcli": "123456",
        "refdet": "202600001234000001",
        "montant": str(cents),
        "mel": "a@b.fr",
        "saisie": saisie,
        "urlcl": "https://x.fr/r",
    }
    found = [a.code for a in check_url_aller(params, Protocol.INDIGO)]
    assert found == (["M2"] if cents >= 150_000 else ["M3"] if cents < 100 else [])


@settings(deadline=None)
@given(st.text())
def test_normalise_objet_always_gives_a_valid_stable_objet(text):
    objet = normalise_objet(text)
    assert is_valid_objet(objet)
    assert objet == objet.strip() and "  " not in objet
    assert normalise_objet(objet) == objet


@settings(deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_parse_url_retour_raises_nothing_else(raw):
    try:
        retour = parse_url_retour(raw)
    except InvalidUrlRetour as exc:
        assert exc.problems and all(isinstance(p, str) for p in exc.problems)
    else:
        assert isinstance(retour, UrlRetour)


@settings(deadline=None)
@given(st.text(max_size=3).filter(lambda code: not (len(code) == 1 and code.isascii() and code.isalpha())))
def test_a_resultrans_other_than_one_ascii_letter_is_malformed(code):
    fields = {"numcli": "123456", "refdet": "ABCDEFGH", "montant": "100", "mel": "a@b.fr", "saisie": "M"}
    raw = urlencode({**fields, "resultrans": code, "numauto": "1", "dattrans": "01012026"})
    try:
        parse_url_retour(raw)
    except InvalidUrlRetour as exc:
        assert any(problem.startswith("RESULTRANS") for problem in exc.problems)
    else:
        raise AssertionError(f"RESULTRANS {code!r} accepted")


@settings(deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["numcli", "refdet", "montant", "mel", "saisie", "dattrans", "resultrans"]),
        st.text(max_size=20),
    )
)
def test_parse_url_retour_on_form_shaped_junk(fields):
    raw = "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())
    try:
        parse_url_retour(raw)
    except InvalidUrlRetour as exc:
        assert exc.problems
