"""The return endpoint: stored raw first, applied once, forged or broken input changes nothing."""

import pytest
from django.urls import reverse

from debts.models import Debt
from payments.models import ReturnNotice, Transaction
from tests.conftest import retour_body
from tests.factories import TipiClientFactory, TransactionFactory

pytestmark = pytest.mark.django_db
URL = "/tipi/retour/"
FORM = "application/x-www-form-urlencoded"


def post(client, body, **extra):
    return client.post(URL, data=body, content_type=FORM, **extra)


def test_url_is_the_one_sent_as_urlcl():
    assert reverse("payments:tipi-return") == URL


def test_paid_notice_marks_transaction_paid_and_debt_in_progress(client):
    transaction = TransactionFactory()
    response = post(client, retour_body(transaction))
    assert response.status_code == 200
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID
    assert transaction.numauto == "123456"
    assert transaction.dattrans.isoformat() == "2026-11-22"
    assert transaction.debt.state == Debt.State.IN_PROGRESS
    notice = ReturnNotice.objects.get()
    assert notice.outcome == ReturnNotice.Outcome.APPLIED
    assert notice.transaction == transaction
    assert bytes(notice.body).decode() == retour_body(transaction)


@pytest.mark.parametrize(("result", "state"), [("R", "refused"), ("A", "cancelled")])
def test_refused_or_cancelled_leaves_debt_open(client, result, state):
    transaction = TransactionFactory()
    post(client, retour_body(transaction, resultrans=result, numauto=""))
    transaction.refresh_from_db()
    assert transaction.state == state
    assert transaction.debt.state == Debt.State.OPEN


def test_lowercase_keys_and_resulttrans_spelling_are_accepted(client):
    transaction = TransactionFactory()
    body = "&".join(
        f"{pair.split('=')[0].lower()}={pair.split('=', 1)[1]}" for pair in retour_body(transaction).split("&")
    ).replace("resultrans=", "RESULTTRANS=")
    post(client, body)
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID


def test_repeat_is_a_duplicate_no_op(client):
    transaction = TransactionFactory()
    post(client, retour_body(transaction))
    post(client, retour_body(transaction))
    outcomes = list(ReturnNotice.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["applied", "duplicate"]


def test_refusal_after_payment_is_a_conflict_not_applied(client):
    transaction = TransactionFactory()
    post(client, retour_body(transaction))
    post(client, retour_body(transaction, resultrans="R", numauto=""))
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID
    assert ReturnNotice.objects.order_by("pk").last().outcome == ReturnNotice.Outcome.CONFLICT


def test_other_numauto_after_payment_is_a_conflict(client):
    transaction = TransactionFactory()
    post(client, retour_body(transaction))
    post(client, retour_body(transaction, numauto="654321"))
    transaction.refresh_from_db()
    assert transaction.numauto == "123456"
    assert ReturnNotice.objects.order_by("pk").last().outcome == ReturnNotice.Outcome.CONFLICT


def test_late_payment_on_abandoned_attempt_is_applied_and_flagged(client):
    transaction = TransactionFactory(state=Transaction.State.ABANDONED)
    post(client, retour_body(transaction))
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID
    assert "late_after_abandoned" in transaction.flags
    assert transaction.debt.state == Debt.State.IN_PROGRESS


@pytest.mark.parametrize(("result", "state"), [("P", "paid"), ("R", "refused"), ("A", "cancelled")])
def test_the_first_paid_notice_settles_the_debt_and_leaves_another_live_attempt_to_its_own_return(
    client, result, state
):
    first = TransactionFactory()
    other = TransactionFactory(debt=first.debt)
    post(client, retour_body(first))
    first.refresh_from_db(), other.refresh_from_db()
    assert (first.state, first.flags) == (Transaction.State.PAID, [])
    assert other.state == Transaction.State.PENDING
    post(client, retour_body(other, resultrans=result, numauto="654321" if result == "P" else ""))
    other.refresh_from_db()
    assert other.state == state
    # A second P is money taken twice: applied, and flagged for staff (the debt was no longer open).
    assert other.flags == (["debt_was_in_progress"] if result == "P" else [])
    assert ReturnNotice.objects.get(transaction=other).outcome == ReturnNotice.Outcome.APPLIED
    other.debt.refresh_from_db()
    assert other.debt.state == Debt.State.IN_PROGRESS


def test_unknown_token_changes_nothing(client):
    transaction = TransactionFactory()
    post(client, retour_body(transaction, objet="ForgedTokenThatDoesNotExist"))
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PENDING
    assert ReturnNotice.objects.get().outcome == ReturnNotice.Outcome.UNMATCHED


@pytest.mark.parametrize(
    "field", [{"montant": "100"}, {"refdet": "202600000999000001"}, {"numcli": "999999"}, {"mel": "autre@exemple.fr"}]
)
def test_mismatched_field_changes_nothing(client, field):
    transaction = TransactionFactory()
    post(client, retour_body(transaction, **field))
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PENDING
    assert transaction.debt.state == Debt.State.OPEN
    notice = ReturnNotice.objects.get()
    assert notice.outcome == ReturnNotice.Outcome.UNMATCHED
    assert notice.detail


def test_return_without_objet_is_linked_to_the_attempt_it_resembles_flagged_and_not_applied(client):
    # Behaviour changed on purpose (issue 13, item 1): the echoed fields are all in the URL aller,
    # so a return without OBJET could be anyone's; it used to be applied, it is now left to staff.
    transaction = TransactionFactory()
    post(client, retour_body(transaction, objet=None))
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PENDING
    assert transaction.debt.state == Debt.State.OPEN
    notice = ReturnNotice.objects.get()
    assert notice.outcome == ReturnNotice.Outcome.REVIEW
    assert notice.transaction == transaction and notice.resultrans == "P"
    assert notice.flags == ["matched_without_token"]


def test_return_without_objet_resembling_no_pending_attempt_is_unmatched(client):
    transaction = TransactionFactory()
    post(client, retour_body(transaction, objet=None, mel="autre@exemple.fr"))
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PENDING
    notice = ReturnNotice.objects.get()
    assert (notice.outcome, notice.transaction, notice.flags) == (ReturnNotice.Outcome.UNMATCHED, None, [])


def test_activation_return_without_objet_leaves_the_client_new(client):
    transaction = TransactionFactory(
        saisie="X", debt=None, client=TipiClientFactory(state="new"), refdet="999900000000999999", amount_cents=111111
    )
    post(client, retour_body(transaction, objet=None))
    transaction.client.refresh_from_db()
    assert transaction.client.state == "new"
    assert ReturnNotice.objects.get().outcome == ReturnNotice.Outcome.REVIEW


@pytest.mark.parametrize(
    "body",
    [b"", b"garbage", b"\xff\xfe\x00", b"NUMCLI=12&RESULTRANS=Z", b"a=1&a=2", "MEL=é".encode("latin-1")],
)
def test_malformed_bodies_are_stored_and_answered_200(client, body):
    response = post(client, body)
    assert response.status_code == 200
    notice = ReturnNotice.objects.get()
    assert bytes(notice.body) == body
    assert notice.outcome == ReturnNotice.Outcome.MALFORMED


def test_bad_date_is_malformed_and_changes_nothing(client):
    transaction = TransactionFactory()
    post(client, retour_body(transaction, dattrans="31022026"))
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PENDING
    assert ReturnNotice.objects.get().outcome == ReturnNotice.Outcome.MALFORMED


def test_a_notice_past_its_addresses_budget_is_counted_not_stored_and_answered_200(client, settings):
    from payments.returns.notices import notice_record

    settings.RETURNS_JUNK_BUDGET = "2/h"
    assert {post(client, b"garbage").status_code for _ in range(3)} == {200}
    assert ReturnNotice.objects.count() == 2
    assert notice_record(body=b"garbage", content_type=FORM, headers={}, remote_addr="127.0.0.1") is None
    # A well-formed return from the same address is stored and applied: it may be TIPI's.
    transaction = TransactionFactory()
    post(client, retour_body(transaction))
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID


def test_the_body_read_is_bounded_by_its_source(settings):
    from payments.returns.notices import RETURN_BODY_LIMIT, TIPI_BODY_LIMIT, notice_body_limit

    assert RETURN_BODY_LIMIT < 4096 < TIPI_BODY_LIMIT == 64 * 1024
    assert notice_body_limit(remote_addr="192.0.2.10") == RETURN_BODY_LIMIT + 1  # no allow-list: nobody is TIPI
    settings.TIPI_RETURN_ALLOWED_IPS = ["192.0.2.0/24"]
    assert notice_body_limit(remote_addr="192.0.2.10") == TIPI_BODY_LIMIT
    assert notice_body_limit(remote_addr="198.51.100.7") == RETURN_BODY_LIMIT + 1
    assert notice_body_limit(remote_addr=None) == RETURN_BODY_LIMIT + 1


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405
    assert not ReturnNotice.objects.exists()


def test_no_csrf_token_needed(client):
    csrf_client = type(client)(enforce_csrf_checks=True)
    transaction = TransactionFactory()
    assert post(csrf_client, retour_body(transaction)).status_code == 200
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID


def test_source_outside_allowed_ips_is_stored_and_refused(client, settings):
    settings.TIPI_RETURN_ALLOWED_IPS = ["192.0.2.0/24"]
    transaction = TransactionFactory()
    post(client, retour_body(transaction), REMOTE_ADDR="198.51.100.7")
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PENDING
    assert ReturnNotice.objects.get().outcome == ReturnNotice.Outcome.REFUSED_IP


def test_source_inside_allowed_ips_is_applied(client, settings):
    settings.TIPI_RETURN_ALLOWED_IPS = ["192.0.2.0/24"]
    transaction = TransactionFactory()
    post(client, retour_body(transaction), REMOTE_ADDR="192.0.2.10")
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID


def test_notice_is_kept_even_when_applying_fails(client, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("payments.views.notice_apply_fresh", explode)
    transaction = TransactionFactory()
    assert post(client, retour_body(transaction)).status_code == 200
    assert ReturnNotice.objects.get().outcome == ReturnNotice.Outcome.RECEIVED


def test_activation_return_activates_the_client(client):
    transaction = TransactionFactory(
        saisie="X", debt=None, client=TipiClientFactory(state="new"), refdet="999900000000999999", amount_cents=111111
    )
    post(client, retour_body(transaction))
    transaction.client.refresh_from_db()
    assert transaction.client.state == "active"


def test_a_replay_racing_with_the_endpoint_cannot_apply_twice():
    from payments.returns.notices import notice_apply, notice_apply_fresh, notice_record

    transaction = TransactionFactory()
    notice = notice_record(body=retour_body(transaction).encode(), content_type=FORM, headers={}, remote_addr=None)
    assert notice_apply(notice_id=notice.id) == "applied"  # a replayer got there first
    assert notice_apply_fresh(notice=notice) == "applied"  # the endpoint's copy still says "received"
    transaction.refresh_from_db()
    assert transaction.state == "paid"
    assert ReturnNotice.objects.get().outcome == "applied"
    assert notice_apply(notice_id=notice.id) == "applied"  # a processed notice is left as it is


def test_returns_replay_applies_what_was_stored_but_not_applied(client, monkeypatch, capsys):
    import datetime

    from django.core.management import call_command
    from django.utils import timezone

    transaction = TransactionFactory()

    def explode(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("payments.views.notice_apply_fresh", explode)
    post(client, retour_body(transaction))
    post(client, b"garbage")
    ReturnNotice.objects.update(received_at=timezone.now() - datetime.timedelta(minutes=5))
    call_command("returns_replay")
    assert "2 retour(s) traité(s)" in capsys.readouterr().out
    transaction.refresh_from_db()
    assert transaction.state == Transaction.State.PAID
    assert sorted(ReturnNotice.objects.values_list("outcome", flat=True)) == ["applied", "malformed"]
    call_command("returns_replay")  # nothing left: each notice is applied once
    assert "0 retour(s) traité(s)" in capsys.readouterr().out


# --- A P in the debt's history ------------------------------------------------------------


def _audit_rows(client, debt):
    import lxml.html

    page = lxml.html.fromstring(client.get(f"/gestion/suivi/audit/dette/{debt.pk}/").content.decode())
    return [
        [" ".join(cell.text_content().split()) for cell in row.xpath("td")][1:]
        for row in page.xpath("//table[@id='audit']/tbody/tr")
    ]


def test_a_paid_notice_shows_in_the_debts_history_attributed_to_tipi(client):
    from tests.factories import staff_member

    transaction = TransactionFactory()
    debt = transaction.debt
    post(client, retour_body(transaction))
    post(client, retour_body(transaction))  # repeated: a duplicate, nothing more in the history
    later = TransactionFactory(debt=debt)
    post(client, retour_body(later, numauto="654321"))  # another P for a debt already in progress
    assert debt.history.count() == 2
    tipi_row = debt.history.latest()
    assert (tipi_row.state, tipi_row.history_user, tipi_row.history_type) == ("in_progress", None, "~")
    assert tipi_row.history_change_reason == "Retour TIPI : paiement accepté (P)"

    agent = staff_member("agent", email="agent@mairie.example", first_name="Alice", last_name="Martin")
    client.force_login(agent)
    client.post(f"/gestion/dettes/{debt.pk}/marquer-payee/", {"reason": "Vu sur le relevé Hélios"})
    rows = _audit_rows(client, debt)
    assert rows[:2] == [
        [
            "Alice Martin",
            "Modification",
            "état : Paiement en ligne en cours de validation → Payée",
            "Vu sur le relevé Hélios",
        ],
        [
            "Aucun agent (retour TIPI, traitement)",
            "Modification",
            "état : À payer → Paiement en ligne en cours de validation",
            "Retour TIPI : paiement accepté (P)",
        ],
    ]
    assert [row[1] for row in rows[2:]] == ["Création"]


def test_a_paid_notice_adds_one_written_out_statement_to_record_the_history(client):
    """The hot path stays written out: moving the debt costs its UPDATE and one INSERT … SELECT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    refused, paid = TransactionFactory(), TransactionFactory()
    with CaptureQueriesContext(connection) as refused_queries:
        post(client, retour_body(refused, resultrans="R", numauto=""))
    with CaptureQueriesContext(connection) as paid_queries:
        post(client, retour_body(paid))
    history_table = Debt.history.model._meta.db_table
    extra = [query["sql"] for query in paid_queries.captured_queries if Debt._meta.db_table in query["sql"]]
    assert len(paid_queries) == len(refused_queries) + 2
    assert len(extra) == 2 and extra[0].startswith("UPDATE") and history_table in extra[1]
    assert extra[1].startswith("INSERT INTO") and " SELECT " in extra[1]
