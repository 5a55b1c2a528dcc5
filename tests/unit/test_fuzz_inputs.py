"""Fuzzing what strangers send: the URL retour parser, the idOp of PayFiP's messages, the three importers.

Whatever the bytes, the outcome is a value or the module's own error with a message, never
another exception. Profile "quick" in `make test`; `make fuzz` runs 10,000 cases each.
"""

import io
from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from debts.importers import PARSERS, DebtRecord, ImportFileError, LineError, indigo, rolmre
from payments.returns.payfip_messages import idop_from_request
from payments.tipi import InvalidUrlRetour, UrlRetour, is_well_formed_resultrans, parse_url_retour

RETOUR_KEYS = [
    "NUMCLI",
    "EXER",
    "REFDET",
    "OBJET",
    "MONTANT",
    "MEL",
    "SAISIE",
    "RESULTRANS",
    "RESULTTRANS",
    "NUMAUTO",
    "DATTRANS",
    "HEURTRANS",
    "numcli",
    "resultrans",
    "x",
]
text = st.text(st.characters(codec="utf-8"), max_size=40)
form_bodies = st.dictionaries(
    st.sampled_from(RETOUR_KEYS), st.one_of(text, st.from_regex(r"[0-9]{0,9}", fullmatch=True))
)


def _parse_retour(body) -> None:
    try:
        retour = parse_url_retour(body)
    except InvalidUrlRetour as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
    else:
        assert isinstance(retour, UrlRetour)
        assert is_well_formed_resultrans(retour.resultrans)


@given(st.binary(max_size=600))
def test_retour_parser_on_any_bytes(body):
    _parse_retour(body)


@given(form_bodies)
def test_retour_parser_on_form_shaped_bodies(fields):
    _parse_retour(urlencode(fields).encode())


def _parse_file(fmt: str, data: bytes) -> None:
    try:
        for item in PARSERS[fmt](io.BytesIO(data)):
            assert isinstance(item, (DebtRecord, LineError))
            if isinstance(item, LineError):
                assert item.message and item.line_no >= 0
            else:
                assert isinstance(item.amount_cents, int) and item.amount_cents >= 0
    except ImportFileError as exc:
        assert exc.message


@given(st.sampled_from(sorted(PARSERS)), st.binary(max_size=2000))
def test_importers_on_any_bytes(fmt, data):
    _parse_file(fmt, data)


def _mutated_lines(layout):
    zones = st.fixed_dictionaries(
        {}, optional={name: st.text(max_size=field.width + 3) for name, field in layout.fields.items()}
    )
    return st.lists(zones.map(layout.build), min_size=1, max_size=4)


@given(
    st.sampled_from([("indigo", indigo.LAYOUT), ("rolmre", rolmre.LAYOUT)]).flatmap(
        lambda pair: st.tuples(st.just(pair[0]), _mutated_lines(pair[1]))
    ),
    st.sampled_from(["iso8859-15", "cp1252", "utf-8"]),
)
def test_importers_on_record_shaped_lines(fmt_lines, encoding):
    fmt, lines = fmt_lines
    _parse_file(fmt, "\r\n".join(lines).encode(encoding, errors="replace"))


PES_TAGS = [
    "PES_Aller",
    "EnTetePES",
    "PES_RecetteAller",
    "Bordereau",
    "BlocBordereau",
    "Exer",
    "Piece",
    "BlocPiece",
    "IdPce",
    "LigneDePiece",
    "BlocLignePiece",
    "InfoLignePiece",
    "IdLigne",
    "MtHT",
    "MtTVA",
    "Tiers",
    "InfoTiers",
    "RefTiers",
    "Nom",
]


@st.composite
def pes_like(draw, depth=0):
    tag = draw(st.sampled_from(PES_TAGS))
    value = draw(st.one_of(st.none(), st.text(st.characters(codec="utf-8", exclude_characters='<&"'), max_size=12)))
    attribute = f' V="{value}"' if value is not None else ""
    children = "" if depth > 3 else "".join(draw(st.lists(pes_like(depth + 1), max_size=3)))
    return f"<{tag}{attribute}>{children}</{tag}>"


@given(pes_like())
def test_pes_parser_on_pes_shaped_xml(xml):
    _parse_file("pesv2", ('<?xml version="1.0" encoding="UTF-8"?><PES_Aller>' + xml + "</PES_Aller>").encode())


@given(st.binary(max_size=300), st.text(max_size=100))
def test_payfip_idop_finder_on_any_input(body, query):
    # Whatever a stranger posts to urlnotif, the idOp found is nothing or an idOp's shape.
    idop = idop_from_request(body=body, query_string=query)
    assert idop == "" or (len(idop) <= 64 and all(c.isascii() and (c.isalnum() or c == "-") for c in idop))
