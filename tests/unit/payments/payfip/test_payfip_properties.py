"""Property tests: whatever comes back, the parsers give an answer, a PayfipFault or PayfipUnavailable."""

from __future__ import annotations

import datetime

from hypothesis import example, given
from hypothesis import strategies as st

from payments.payfip import (
    PARIS,
    PAYMENT_DETAIL,
    RESPONSE_FIELDS,
    MalformedMessage,
    PayfipFault,
    PayfipUnavailable,
    PaymentDetail,
    fault_envelope,
    format_paid_at,
    parse_paid_at,
    read_answer,
    read_payment_detail,
    read_request,
    request_envelope,
    response_envelope,
)
from tests.unit.payments.payfip import payfip_samples as samples

STATUSES = st.sampled_from([200, 200, 500, 502, 404])
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=40)
leaves = st.dictionaries(st.sampled_from(RESPONSE_FIELDS[PAYMENT_DETAIL]), TEXT)


def detail_or_error(status: int, body: bytes) -> object:
    try:
        return read_payment_detail(read_answer(PAYMENT_DETAIL, status, body), idop=samples.IDOP)
    except (PayfipFault, PayfipUnavailable) as exc:
        return exc


@given(status=STATUSES, body=st.binary(max_size=300))
@example(status=200, body=samples.detail())
@example(status=500, body=samples.P5)
def test_any_bytes(status, body):
    assert isinstance(detail_or_error(status, body), PaymentDetail | PayfipFault | PayfipUnavailable)


@given(status=STATUSES, fields=leaves)
def test_any_detail_leaves(status, fields):
    outcome = detail_or_error(status, response_envelope(PAYMENT_DETAIL, fields))
    assert isinstance(outcome, PaymentDetail | PayfipUnavailable)
    if isinstance(outcome, PaymentDetail):
        assert status == 200
        assert isinstance(outcome.montant, int) and outcome.montant >= 0
        assert outcome.paid_at is None or outcome.paid_at.tzinfo is not None


@given(status=STATUSES, body=st.binary(max_size=200), cut=st.integers(0, 2000))
def test_mutilated_answers(status, body, cut):
    real = samples.detail()
    outcome = detail_or_error(status, real[:cut] + body + real[cut:])
    assert isinstance(outcome, PaymentDetail | PayfipFault | PayfipUnavailable)


@given(
    fault_type=st.sampled_from(["FonctionnelleErreur", "TechIndisponibiliteErreur", "Autre"]), code=TEXT, libelle=TEXT
)
def test_any_fault(fault_type, code, libelle):
    outcome = detail_or_error(500, fault_envelope(fault_type, code, libelle))
    if isinstance(outcome, PayfipFault):
        assert fault_type == "FonctionnelleErreur" and outcome.code == code.strip() and outcome.message == libelle
    else:
        assert isinstance(outcome, PayfipUnavailable)


@given(fields=st.dictionaries(st.sampled_from(["exer", "mel", "montant", "refdet", "idOp", "numCli"]), TEXT))
def test_requests_round_trip(fields):
    assert read_request(request_envelope(PAYMENT_DETAIL, fields)) == (PAYMENT_DETAIL, fields)


@given(body=st.binary(max_size=300))
def test_read_request_refuses_with_its_own_error(body):
    try:
        operation, _ = read_request(body)
    except MalformedMessage:
        return
    assert operation == PAYMENT_DETAIL


@given(
    dattrans=st.one_of(TEXT, st.from_regex(r"[0-9]{8}", fullmatch=True)),
    heurtrans=st.one_of(TEXT, st.from_regex(r"[0-9]{4}", fullmatch=True)),
)
def test_paid_at_is_aware_or_refused(dattrans, heurtrans):
    try:
        paid_at = parse_paid_at(dattrans, heurtrans)
    except ValueError:
        return
    assert paid_at.tzinfo is PARIS
    assert format_paid_at(paid_at)[0] == dattrans  # the date is never shifted, even in the spring gap


@given(
    moment=st.datetimes(
        min_value=datetime.datetime(2000, 1, 1),
        max_value=datetime.datetime(2099, 12, 31),
        timezones=st.just(datetime.UTC),
    )
)
def test_formatted_stamps_read_back_to_the_minute(moment):
    moment = moment.replace(second=0, microsecond=0)
    read = parse_paid_at(*format_paid_at(moment)).astimezone(datetime.UTC)  # PEP 495: compare in UTC
    # Only the repeated hour of October reads back an hour off (its first occurrence is taken).
    assert read in (moment, moment - datetime.timedelta(hours=1))
    assert read.astimezone(PARIS).replace(tzinfo=None) == moment.astimezone(PARIS).replace(tzinfo=None)
