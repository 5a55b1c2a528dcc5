"""Issue 13, item 4: a stranger could make the return endpoint keep anything.

Every POST to /tipi/retour/ was stored with up to 64 KB of body, refused and malformed ones
included: 200 posts grew the table from 72 kB to 13 MB. What TIPI might have sent is still
stored, but a stranger's body is cut one byte past what a TIPI return can be (real ones are
under 1 KB), an address's refused or malformed notices stop being stored past its budget (only
counted, and said in the log), and they are deleted after their retention period. TIPI's own
addresses are never limited, and their returns pay no budget check.
"""

import datetime
import logging
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments.models import ReturnNotice, Transaction
from tests.conftest import retour_body
from tests.factories import TransactionFactory
from tipiportal.models import RateCounter
from tipiportal.network import rate_parse

pytestmark = pytest.mark.django_db

RETURN_URL = "/tipi/retour/"
FORM = "application/x-www-form-urlencoded"
TIPI_NETWORK = "192.0.2.0/24"
TIPI = "192.0.2.10"
STRANGER = "198.51.100.7"
BIG = b"A=" + b"x" * (64 * 1024 - 2)  # what the attacker posted: the most the endpoint kept (64 KB)
REAL_RETURN_MAX = 1024


@pytest.fixture
def allow_list(settings):
    settings.TIPI_RETURN_ALLOWED_IPS = [TIPI_NETWORK]


def post(body, address: str, **extra):
    return Client(REMOTE_ADDR=address).post(RETURN_URL, data=body, content_type=FORM, **extra)


def stored_bytes() -> int:
    return sum(len(bytes(body)) for body in ReturnNotice.objects.values_list("body", flat=True))


def test_a_strangers_big_body_is_cut_just_past_what_a_tipi_return_can_be(allow_list):
    assert post(BIG, STRANGER).status_code == 200
    notice = ReturnNotice.objects.get()
    assert notice.outcome == ReturnNotice.Outcome.REFUSED_IP
    # Enough to see what it was, one byte past the limit to know it was longer; not 64 KB.
    assert 2 * REAL_RETURN_MAX <= len(bytes(notice.body)) <= 4 * REAL_RETURN_MAX
    assert bytes(notice.body) == BIG[: len(bytes(notice.body))]
    assert notice.headers["Content-Length"] == str(len(BIG))


def test_without_an_allow_list_a_big_body_is_cut_and_malformed_whatever_it_holds():
    transaction = TransactionFactory()
    # A real P padded past the limit: it cannot be TIPI's (TIPI sends no such thing).
    padded = retour_body(transaction) + "&PADDING=" + "x" * (8 * REAL_RETURN_MAX)
    post(padded, STRANGER)
    notice = ReturnNotice.objects.get()
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PENDING
    assert notice.outcome == ReturnNotice.Outcome.MALFORMED
    assert "ce ne peut être un retour TIPI" in notice.detail
    assert len(bytes(notice.body)) <= 4 * REAL_RETURN_MAX


def test_a_strangers_flood_is_stored_up_to_its_budget_then_only_counted(allow_list, settings, caplog):
    budget, period = rate_parse(settings.RETURNS_JUNK_BUDGET) if hasattr(settings, "RETURNS_JUNK_BUDGET") else (0, 0)
    sent = 260
    if time.time() % 3600 > 3590:  # not across an hour's edge: the count would slide
        time.sleep(3600 - time.time() % 3600 + 1)
    with caplog.at_level(logging.WARNING, logger="payments.returns.notices"):
        answers = {post(BIG, STRANGER).status_code for _ in range(sent)}
    assert answers == {200}  # TIPI's contract: every POST gets its 200
    stored = ReturnNotice.objects.count()
    assert stored < sent
    # Generous: a confused integration (a hundred an hour) is still fully recorded.
    assert budget >= 100 and period >= 3600
    assert stored == budget
    assert stored_bytes() <= budget * 4 * REAL_RETURN_MAX  # 13 MB for 200 posts before
    # Past the budget, only the count is kept: the rate counter, and lines in the log.
    assert sum(RateCounter.objects.values_list("count", flat=True)) == sent
    over = [record.getMessage() for record in caplog.records if "budget" in record.getMessage()]
    assert over and all(STRANGER in message for message in over)
    assert len(over) <= 10  # the log is not flooded in turn


def test_each_address_has_its_own_budget(allow_list, settings):
    settings.RETURNS_JUNK_BUDGET = "3/h"
    for _ in range(5):
        post(b"garbage", STRANGER)
    post(b"garbage", "198.51.100.8")
    assert ReturnNotice.objects.filter(remote_addr=STRANGER).count() == 3
    assert ReturnNotice.objects.filter(remote_addr="198.51.100.8").count() == 1


def test_an_ipv6_network_of_one_subscriber_shares_one_budget(allow_list, settings):
    # A /64 is one subscriber's: rotating addresses inside it buys no more storage.
    settings.RETURNS_JUNK_BUDGET = "3/h"
    for n in range(1, 6):
        post(b"garbage", f"2001:db8:1:2::{n:x}")
    assert ReturnNotice.objects.count() == 3


def test_without_an_allow_list_malformed_notices_count_against_the_budget(settings):
    settings.RETURNS_JUNK_BUDGET = "3/h"
    transaction = TransactionFactory()
    for _ in range(5):
        post(b"garbage", STRANGER)
    post(retour_body(transaction), STRANGER)  # a well-formed return is never held back
    assert ReturnNotice.objects.filter(outcome=ReturnNotice.Outcome.MALFORMED).count() == 3
    assert ReturnNotice.objects.filter(outcome=ReturnNotice.Outcome.APPLIED).count() == 1


def test_tipis_addresses_are_never_limited_and_keep_their_whole_body(allow_list, settings):
    settings.RETURNS_JUNK_BUDGET = "3/h"
    for _ in range(6):
        post(b"garbage", TIPI)
    post(BIG, TIPI)
    transaction = TransactionFactory()
    post(retour_body(transaction), TIPI)
    assert ReturnNotice.objects.filter(outcome=ReturnNotice.Outcome.MALFORMED).count() == 7
    assert ReturnNotice.objects.filter(outcome=ReturnNotice.Outcome.APPLIED).count() == 1
    assert ReturnNotice.objects.filter(body=BIG).exists()
    assert not RateCounter.objects.exists()


def test_a_tipi_return_pays_no_budget_check(allow_list):
    transaction = TransactionFactory()
    with CaptureQueriesContext(connection) as queries:
        post(retour_body(transaction), TIPI)
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID
    table = RateCounter._meta.db_table
    assert not [query for query in queries.captured_queries if table in query["sql"]]


def test_refused_and_malformed_notices_are_deleted_after_their_retention(allow_list, settings, capsys):
    transaction = TransactionFactory()
    post(b"garbage", STRANGER)  # refused: not from TIPI
    post(b"garbage", TIPI)  # malformed, from TIPI: staff must see it, kept
    post(retour_body(transaction), TIPI)  # applied: the money trail, kept
    settings.TIPI_RETURN_ALLOWED_IPS = []
    post(b"garbage", STRANGER)  # malformed, from anyone
    ReturnNotice.objects.update(received_at=timezone.now() - datetime.timedelta(days=400))
    post(b"garbage", STRANGER)  # recent: kept
    settings.TIPI_RETURN_ALLOWED_IPS = [TIPI_NETWORK]
    call_command("purge_personal_data")
    assert "2 retour(s) refusé(s) ou mal formé(s) supprimé(s)" in capsys.readouterr().out
    left = sorted(ReturnNotice.objects.values_list("outcome", "remote_addr"))
    assert left == [("applied", TIPI), ("malformed", TIPI), ("malformed", STRANGER)]
