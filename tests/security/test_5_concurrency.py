"""Issue 13, item 5: rate limits beaten by concurrency.

45 parallel manual-form POSTs passed a 30/h limit (the database cache's incr is a read then a
write), and 25 parallel access-code attempts checked 7 codes instead of 5 (count, then check,
then record). Real concurrency needs PostgreSQL: threads with their own connections.
"""

import threading

import pytest
from django.db import connection
from django.test import Client

from debts.models import LinkAttempt, ReferenceLink
from debts.services.references import LINK_FAILURES_ALLOWED, ReferenceLinkRefused, reference_link
from tests.factories import DebtorReferenceFactory, TipiClientFactory, UserFactory, staff_member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = []
    errors: list = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            results.append(work(n))
        except BaseException as error:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_45_parallel_manual_form_posts_get_30_through_a_30_per_hour_limit(settings):
    settings.RATE_LIMIT_MANUAL_FORM = "30/h"
    tipi_client = TipiClientFactory()
    statuses = in_threads(45, lambda n: Client().post(f"/payer/{tipi_client.numcli}/", {"exercice": "x"}).status_code)
    assert sorted(statuses) == [200] * 30 + [429] * 15


def test_25_parallel_access_code_attempts_check_only_5_codes():
    user = UserFactory()
    debtor = DebtorReferenceFactory(access_code="ABCD234567")

    def attempt(n: int) -> str:
        try:
            reference_link(user=user, client=debtor.client, reference=debtor.reference, access_code=f"ZZZZ{n:06d}")
        except ReferenceLinkRefused as refused:
            return "throttled" if "Trop d'essais" in str(refused) else "checked"
        return "linked"

    outcomes = in_threads(25, attempt)
    assert outcomes.count("checked") == LINK_FAILURES_ALLOWED
    assert outcomes.count("throttled") == 25 - LINK_FAILURES_ALLOWED
    assert LinkAttempt.objects.filter(user=user).count() == LINK_FAILURES_ALLOWED
    assert not ReferenceLink.objects.exists()


def test_25_parallel_wrong_staff_passwords_check_only_the_allowed_number():
    allowed = 5  # STAFF_LOGIN_FAILURES_PER_ACCOUNT
    staff_member("dsi", "le-bon-mot-de-passe-2026", role="Administrateurs")
    statuses = in_threads(
        25, lambda n: Client().post("/gestion/admin/login/", {"username": "dsi", "password": f"faux-{n}"}).status_code
    )
    assert statuses.count(200) == allowed  # the form again, "incorrect"
    assert statuses.count(429) == 25 - allowed
