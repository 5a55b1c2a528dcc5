"""Money follow-up pages (/gestion/suivi/): who reaches them, transactions and their filters, the
"sans réponse" marking, the journal of returns and its counts per day, the dashboard's figures."""

import datetime
import re

import lxml.html
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from debts.models import Debt
from payments.models import ReturnNotice, Transaction
from staff.followup.chart import daily_bar_chart, euros_label, nice_step
from staff.followup.selectors import dashboard, day_start
from tests.factories import DebtFactory, TipiClientFactory, TransactionFactory, UserFactory, staff_member

pytestmark = pytest.mark.django_db

LOGIN = "/gestion/admin/login/"
PARIS = datetime.timezone(datetime.timedelta(hours=1))  # November: Europe/Paris is UTC+1
NOW = datetime.datetime(2026, 11, 18, 15, 0, tzinfo=PARIS)  # a Wednesday


@pytest.fixture
def frozen(monkeypatch):
    """Every clock of the site (auto_now_add too) at NOW, so that day and month bounds are fixed."""
    monkeypatch.setattr(timezone, "now", lambda: NOW.astimezone(datetime.UTC))
    return NOW


@pytest.fixture
def agent(client):
    client.force_login(staff_member("agent", email="agent@mairie.example"))
    return client


def doc(response):
    return lxml.html.fromstring(response.content.decode())


def ids(response, attribute: str) -> list[int]:
    return [int(value) for value in doc(response).xpath(f"//tr/@data-{attribute}")]


def transaction(
    *, cents=3808, state="pending", saisie="M", created=None, settled=None, debt=True, client=None, **extra
):
    """A transaction (with its own debt unless debt=False), its dates set as given."""
    if debt:
        debt_obj = DebtFactory(amount_cents=cents, **({"client": client} if client else {}))
        made = TransactionFactory(debt=debt_obj, state=state, saisie=saisie, **extra)
    else:
        tipi_client = client or TipiClientFactory()
        made = TransactionFactory(
            debt=None,
            client=tipi_client,
            refdet=extra.pop("refdet", "202600009999000001"),
            amount_cents=cents,
            state=state,
            saisie=saisie,
            **extra,
        )
    Transaction.objects.filter(pk=made.pk).update(
        created_at=created or made.created_at, settled_at=settled if settled else made.settled_at
    )
    made.refresh_from_db()
    return made


# --- Who reaches the pages ---------------------------------------------------------------


def page_urls(txn, debt):
    return [
        "/gestion/suivi/",
        "/gestion/suivi/transactions/",
        f"/gestion/suivi/transactions/{txn.pk}/",
        "/gestion/suivi/transactions/export.csv",
        "/gestion/suivi/transactions/export.xlsx",
        "/gestion/suivi/retours/",
        "/gestion/suivi/rapprochement/",
        f"/gestion/suivi/rapprochement/dettes/{debt.pk}/defaire/",
        "/gestion/suivi/exports/",
        "/gestion/suivi/exports/dettes.csv",
        "/gestion/suivi/exports/dettes.xlsx",
        "/gestion/suivi/audit/",
        f"/gestion/suivi/audit/dette/{debt.pk}/",
    ]


POSTS = ["/gestion/suivi/rapprochement/selection/", "/gestion/suivi/rapprochement/fichier/"]


@pytest.fixture
def targets():
    txn = transaction()
    debt = DebtFactory(state=Debt.State.PAID)
    return page_urls(txn, debt), POSTS + [f"/gestion/suivi/rapprochement/dettes/{debt.pk}/defaire/"]


def test_anonymous_and_citizens_are_sent_to_the_staff_login(client, targets):
    pages, posts = targets
    for who in ("anonymous", "citizen"):
        if who == "citizen":
            client.force_login(UserFactory())
        for url in pages:
            response = client.get(url)
            assert response.status_code == 302, (who, url)
            assert response["Location"].startswith(f"{LOGIN}?next="), (who, url)
        for url in posts:
            response = client.post(url, {})
            assert response.status_code == 302 and response["Location"].startswith(LOGIN), (who, url)
    assert Debt.objects.filter(state=Debt.State.PAID).count() == 1


def test_staff_without_a_role_is_forbidden(client, targets):
    pages, posts = targets
    client.force_login(UserFactory(is_staff=True))
    for url in pages:
        assert client.get(url).status_code == 403, url
    for url in posts:
        assert client.post(url, {}).status_code == 403, url


@pytest.mark.parametrize("role", ["Agents", "Administrateurs"])
def test_agents_and_administrators_reach_every_page(client, targets, role):
    pages, posts = targets
    client.force_login(staff_member("membre", role=role))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        response.getvalue()  # read whole, as a browser would: an export streams from a temporary file
    for url in posts:
        assert client.post(url, {}).status_code == 400, url  # an empty form, refused with its errors


def test_reconciling_needs_the_reconcile_permission(client):
    """A staff member who may read the pages but not reconcile (a custom role) cannot change a debt."""
    user = get_user_model().objects.create_user(
        "lecteur", "lecteur@mairie.example", "mot-de-passe-lecteur", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="access_staff_pages"))
    debt = DebtFactory(state=Debt.State.IN_PROGRESS)
    client.force_login(user)
    assert client.get("/gestion/suivi/rapprochement/").status_code == 200
    response = client.post("/gestion/suivi/rapprochement/selection/", {"debts": [debt.pk], "reason": "Vu en compta"})
    assert response.status_code == 403
    debt.refresh_from_db()
    assert debt.state == Debt.State.IN_PROGRESS


def test_the_staff_home_links_to_the_follow_up(agent):
    page = agent.get("/gestion/").content.decode()
    for url in (
        "/gestion/suivi/",
        "/gestion/suivi/transactions/",
        "/gestion/suivi/retours/",
        "/gestion/suivi/rapprochement/",
        "/gestion/suivi/exports/",
        "/gestion/suivi/audit/",
    ):
        assert f'href="{url}"' in page


# --- Transactions ------------------------------------------------------------------------


@pytest.fixture
def some_transactions(frozen):
    north, south = TipiClientFactory(label="Cantine du Nord"), TipiClientFactory(label="Eau du Sud")
    return {
        "paid_north": transaction(
            client=north,
            cents=3808,
            state="paid",
            saisie="A",
            created=NOW - datetime.timedelta(days=2),
            numauto="654321",
        ),
        "refused_north": transaction(
            client=north, cents=1500, state="refused", created=NOW - datetime.timedelta(days=5)
        ),
        "pending_old": transaction(
            client=south, cents=12000, state="pending", created=NOW - datetime.timedelta(minutes=61)
        ),
        "pending_new": transaction(
            client=south, cents=4000, state="pending", created=NOW - datetime.timedelta(minutes=59)
        ),
        "manual_unknown": transaction(
            client=south,
            cents=3808,
            state="paid",
            debt=False,
            created=NOW - datetime.timedelta(days=20),
            email="Payeur@Example.org",
        ),
        "north": north,
        "south": south,
    }


def listed(agent, **query):
    response = agent.get("/gestion/suivi/transactions/", query)
    assert response.status_code == 200
    return response, ids(response, "transaction")


def test_transactions_list_newest_first_and_filters(agent, some_transactions):
    t = some_transactions
    _, everything = listed(agent)
    assert everything == [
        t[k].pk for k in ("pending_new", "pending_old", "paid_north", "refused_north", "manual_unknown")
    ]
    assert listed(agent, client=t["north"].pk)[1] == [t["paid_north"].pk, t["refused_north"].pk]
    assert listed(agent, state="paid")[1] == [t["paid_north"].pk, t["manual_unknown"].pk]
    assert listed(agent, saisie="A")[1] == [t["paid_north"].pk]
    # Dates are local days, both bounds included.
    assert listed(agent, date_from="2026-11-13", date_to="2026-11-16")[1] == [t["paid_north"].pk, t["refused_north"].pk]
    assert listed(agent, date_from="13/11/2026", date_to="13/11/2026")[1] == [t["refused_north"].pk]
    # Amounts typed in euros, the French way.
    assert listed(agent, amount_min="38,08", amount_max="38,08")[1] == [t["paid_north"].pk, t["manual_unknown"].pk]
    assert listed(agent, amount_min="40")[1] == [t["pending_new"].pk, t["pending_old"].pk]
    assert listed(agent, amount_max="15.00")[1] == [t["refused_north"].pk]
    assert listed(agent, q="654321")[1] == [t["paid_north"].pk]
    assert listed(agent, q="payeur@example.org")[1] == [t["manual_unknown"].pk]
    assert listed(agent, client=t["north"].pk, state="paid", amount_min="38,08")[1] == [t["paid_north"].pk]


def test_a_bad_filter_is_reported_and_not_applied(agent, some_transactions):
    response, shown = listed(agent, amount_min="38,0,8", state="paid")
    page = response.content.decode()
    assert "Montant « 38,0,8 » incorrect : écrivez-le en euros, par exemple 38,08." in page
    assert "Un filtre est incorrect et n'a pas été appliqué." in page
    assert shown == [some_transactions["paid_north"].pk, some_transactions["manual_unknown"].pk]
    response, _ = listed(agent, amount_min="50", amount_max="10")
    assert "Le montant maximum est inférieur au montant minimum." in response.content.decode()


def test_pending_for_more_than_the_delay_is_marked_without_answer(agent, some_transactions, settings):
    settings.TIPI_NO_ANSWER_AFTER_MINUTES = 60
    t = some_transactions
    _, shown = listed(agent, state="no_answer")
    assert shown == [t["pending_old"].pk]
    rows = {int(row.get("data-transaction")): row for row in doc(listed(agent)[0]).xpath("//tr[@data-transaction]")}
    assert "Sans réponse" in rows[t["pending_old"].pk].text_content()
    assert "suspect" in rows[t["pending_old"].pk].get("class", "")
    assert "Sans réponse" not in rows[t["pending_new"].pk].text_content()

    old = agent.get(f"/gestion/suivi/transactions/{t['pending_old'].pk}/").content.decode()
    assert "Sans réponse de TIPI" in old
    assert "Vérifiez auprès de la comptabilité ou dans l'espace de gestion TIPI" in old
    assert "Si le paiement est confirmé" in old and "l'usager peut relancer le paiement" in old
    debt = t["pending_old"].debt
    assert f'href="/gestion/dettes/{debt.pk}/marquer-payee/"' in old
    assert f'href="/gestion/dettes/{debt.pk}/#actions"' in old
    recent = agent.get(f"/gestion/suivi/transactions/{t['pending_new'].pk}/").content.decode()
    assert "Sans réponse de TIPI" not in recent
    # The delay is a setting.
    settings.TIPI_NO_ANSWER_AFTER_MINUTES = 30
    assert listed(agent, state="no_answer")[1] == [t["pending_new"].pk, t["pending_old"].pk]


def test_transaction_detail_shows_the_parameters_sent_the_notices_and_the_debt(agent):
    txn = transaction(state="paid", url="https://www.payfip.gouv.fr/tpa/paiement.web?numcli=123456&exer=2026")
    ReturnNotice.objects.create(
        body=b"NUMCLI=123456&OBJET=<script>alert(1)</script>&RESULTRANS=P",
        content_type="application/x-www-form-urlencoded",
        outcome="applied",
        transaction=txn,
        resultrans="P",
        flags=["late_after_abandoned"],
    )
    response = agent.get(f"/gestion/suivi/transactions/{txn.pk}/")
    page = response.content.decode()
    params = {
        row.xpath("th")[0].text_content(): row.xpath("td")[0].text_content()
        for row in doc(response).xpath("//table[@id='params']/tbody/tr")
    }
    assert (
        params["REFDET"] == txn.refdet and params["MONTANT"] == str(txn.amount_cents) and params["OBJET"] == txn.token
    )
    assert "https://www.payfip.gouv.fr/tpa/paiement.web?numcli=123456&amp;exer=2026" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "paiement arrivé après l&#x27;abandon de la tentative" in page
    assert f'href="/gestion/dettes/{txn.debt.pk}/"' in page


def test_lists_cost_a_constant_number_of_queries(agent):
    DebtFactory(state=Debt.State.IN_PROGRESS)
    for _ in range(3):
        txn = transaction(state="paid")
        ReturnNotice.objects.create(body=b"x", outcome="applied", transaction=txn, flags=["debt_was_paid"])
    counts = {}
    for round_ in ("few", "many"):
        with CaptureQueriesContext(connection) as queries:
            for url in (
                "/gestion/suivi/transactions/",
                "/gestion/suivi/retours/",
                "/gestion/suivi/",
                "/gestion/suivi/rapprochement/",
                "/gestion/suivi/audit/",
            ):
                assert agent.get(url).status_code == 200
        counts[round_] = len(queries)
        for _ in range(12):
            txn = transaction(state="paid")
            debt = DebtFactory(state=Debt.State.IN_PROGRESS)
            debt.save()  # a history row
            ReturnNotice.objects.create(body=b"x", outcome="unmatched", transaction=txn, flags=["late_after_refused"])
    assert counts["few"] == counts["many"]


# --- Journal of returns -------------------------------------------------------------------


def notice(outcome, *, received, flags=(), body=b"RESULTRANS=P", **extra):
    made = ReturnNotice.objects.create(body=body, outcome=outcome, flags=list(flags), **extra)
    ReturnNotice.objects.filter(pk=made.pk).update(received_at=received)
    return made


@pytest.fixture
def journal(frozen):
    day1 = datetime.datetime(2026, 11, 17, 10, 0, tzinfo=PARIS)
    day2 = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=PARIS)
    late_evening = datetime.datetime(2026, 11, 17, 23, 30, tzinfo=PARIS)  # 22:30 UTC: still the 17th in Paris
    return {
        "applied1": notice("applied", received=day1),
        "applied2": notice("applied", received=late_evening),
        "late": notice("applied", received=day1, flags=["late_after_abandoned"]),
        "no_token": notice("duplicate", received=day1, flags=["matched_without_token"]),
        "unmatched": notice("unmatched", received=day2, detail="aucune transaction pour ce jeton"),
        "conflict": notice("conflict", received=day2),
        "malformed": notice("malformed", received=day2, body=b"<b>pas un formulaire</b>"),
        "refused_ip": notice("refused_ip", received=day2, remote_addr="203.0.113.9"),
        "duplicate": notice("duplicate", received=day2),
        "old": notice("applied", received=NOW - datetime.timedelta(days=45)),
    }


def test_journal_lists_every_notice_and_highlights_the_suspicious_ones(agent, journal):
    response = agent.get("/gestion/suivi/retours/")
    rows = {int(row.get("data-notice")): row for row in doc(response).xpath("//table[@id='notices']//tr[@data-notice]")}
    assert set(rows) == {n.pk for n in journal.values()}
    suspicious = {pk for pk, row in rows.items() if "suspect" in (row.get("class") or "")}
    assert suspicious == {
        journal[k].pk for k in ("late", "no_token", "unmatched", "conflict", "malformed", "refused_ip")
    }
    for pk in suspicious:
        assert "À examiner" in rows[pk].text_content()
    # The raw body, escaped, in a <pre>.
    pre = rows[journal["malformed"].pk].xpath(".//pre")[0]
    assert pre.text_content() == "<b>pas un formulaire</b>"
    assert "&lt;b&gt;pas un formulaire&lt;/b&gt;" in response.content.decode()
    assert "retrouvé sans jeton (OBJET absent)" in rows[journal["no_token"].pk].text_content()


def test_journal_filters_by_outcome_and_date(agent, journal):
    def shown(**query):
        return set(ids(agent.get("/gestion/suivi/retours/", query), "notice"))

    assert shown(outcome="conflict") == {journal["conflict"].pk}
    assert shown(outcome="suspicious") == {
        journal[k].pk for k in ("late", "no_token", "unmatched", "conflict", "malformed", "refused_ip")
    }
    assert shown(date_from="2026-11-17", date_to="2026-11-17") == {
        journal[k].pk for k in ("applied1", "applied2", "late", "no_token")
    }
    assert shown(outcome="applied", date_from="2026-11-18") == set()
    assert shown(outcome="applied", date_to="2026-11-17") == {
        journal[k].pk for k in ("applied1", "applied2", "late", "old")
    }


def test_journal_counts_each_outcome_per_day(agent, journal):
    response = agent.get("/gestion/suivi/retours/")
    table = doc(response).xpath("//table[@id='counts-per-day']")[0]
    outcomes = table.xpath(".//thead//th/@data-outcome")
    assert outcomes == [value for value, _ in ReturnNotice.Outcome.choices]
    counts = {}
    for row in table.xpath(".//tbody/tr"):
        cells = [int(cell.text_content()) for cell in row.xpath("td")]
        counts[row.get("data-day")] = (dict(zip(outcomes, cells[:-1])), cells[-1])
    # The last 30 days by default: the 45-day-old notice is not counted.
    assert list(counts) == ["2026-11-18", "2026-11-17"]
    day2, total2 = counts["2026-11-18"]
    assert total2 == 5 and {k: v for k, v in day2.items() if v} == {
        "unmatched": 1,
        "conflict": 1,
        "malformed": 1,
        "refused_ip": 1,
        "duplicate": 1,
    }
    day1, total1 = counts["2026-11-17"]
    assert total1 == 4 and {k: v for k, v in day1.items() if v} == {"applied": 3, "duplicate": 1}
    # A date range chooses the days counted.
    response = agent.get("/gestion/suivi/retours/", {"date_from": "2026-10-01", "date_to": "2026-11-17"})
    days = doc(response).xpath("//table[@id='counts-per-day']//tbody/tr/@data-day")
    assert days == ["2026-11-17", "2026-10-04"]


# --- Dashboard ---------------------------------------------------------------------------


@pytest.fixture
def money(frozen):
    today = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=PARIS)
    made = [
        transaction(cents=3808, state="paid", saisie="M", settled=today),
        transaction(cents=10000, state="paid", saisie="A", settled=today + datetime.timedelta(hours=1)),
        transaction(cents=100, state="paid", saisie="T", settled=today, debt=False),  # a test URL: not money
        transaction(cents=5000, state="paid", settled=datetime.datetime(2026, 11, 2, 0, 10, tzinfo=PARIS)),
        transaction(cents=2000, state="paid", settled=datetime.datetime(2026, 10, 31, 23, 30, tzinfo=PARIS)),
        transaction(cents=7000, state="paid", settled=datetime.datetime(2026, 8, 19, 12, 0, tzinfo=PARIS)),  # > 90 days
        transaction(cents=9900, state="refused", settled=today),
        transaction(cents=4200, state="pending", created=NOW - datetime.timedelta(hours=2)),
        transaction(cents=4300, state="pending", created=NOW - datetime.timedelta(minutes=5)),
    ]
    Debt.objects.all().update(state=Debt.State.OPEN, amount_cents=1000)
    Debt.objects.filter(pk__in=[made[0].debt_id, made[1].debt_id]).update(
        state=Debt.State.IN_PROGRESS, amount_cents=500
    )
    Debt.objects.filter(pk=made[3].debt_id).update(state=Debt.State.PAID, amount_cents=700)
    notice("applied", received=today)
    notice("unmatched", received=NOW - datetime.timedelta(days=29))
    notice("unmatched", received=NOW - datetime.timedelta(days=31))
    return made


def test_dashboard_figures(money):
    figures = dashboard(now=NOW)
    assert (figures.today_count, figures.today_cents) == (2, 13808)
    assert (figures.month_count, figures.month_cents) == (3, 18808)
    assert figures.debts_by_state == [
        ("open", "À payer", 5, 5000),
        ("in_progress", "Paiement en ligne en cours de validation", 2, 1000),
        ("paid", "Payée", 1, 700),
        ("cancelled", "Annulée", 0, 0),
    ]
    assert len(figures.daily) == 90
    assert figures.daily[0].day == datetime.date(2026, 8, 21) and figures.daily[-1].day == datetime.date(2026, 11, 18)
    collected = {day.day: (day.count, day.cents) for day in figures.daily if day.count}
    assert collected == {
        datetime.date(2026, 11, 18): (2, 13808),
        datetime.date(2026, 11, 2): (1, 5000),
        datetime.date(2026, 10, 31): (1, 2000),
    }
    outcomes = {outcome: count for outcome, _, count, _ in figures.outcomes}
    assert outcomes["applied"] == 1 and outcomes["unmatched"] == 1
    assert figures.unanswered_count == 1 and figures.unanswered == [money[7]]


def test_dashboard_page_shows_the_figures_and_a_readable_chart(agent, money):
    response = agent.get("/gestion/suivi/")
    assert response.status_code == 200
    page = doc(response)
    today = page.xpath("//*[@id='kpi-today']")[0].text_content()
    assert "138,08\u00a0€" in today and "2 paiements" in today
    month = page.xpath("//*[@id='kpi-month']")[0].text_content()
    assert "188,08\u00a0€" in month and "3 paiements" in month
    assert "1" in page.xpath("//*[@id='kpi-no-answer']//*[@class='kpi-amount']")[0].text_content()
    states = {
        row.get("data-state"): [c.text_content() for c in row.xpath("td")]
        for row in page.xpath("//table[@id='debts-by-state']//tr[@data-state]")
    }
    assert states["open"] == ["5", "50,00\u00a0€"] and states["in_progress"] == ["2", "10,00\u00a0€"]

    # The chart: inline SVG drawn on the server, a title and a description, one bar per day with money,
    # an axis in round euros up to the best day, dated ticks, the best day written on the chart.
    svg = page.xpath("//figure[@class='chart']//*[local-name()='svg']")[0]
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "chart-title chart-desc"
    assert (
        svg.xpath("*[local-name()='title']")[0].text_content()
        == "Montants encaissés par jour du 21/08/2026 au 18/11/2026"
    )
    desc = svg.xpath("*[local-name()='desc']")[0].text_content()
    assert "208,08\u00a0€ au total (4 paiements)" in desc and "18/11/2026 avec 138,08\u00a0€" in desc
    bars = svg.xpath(".//*[local-name()='rect']")
    assert {(bar.get("data-day"), bar.get("data-cents")) for bar in bars} == {
        ("2026-11-18", "13808"),
        ("2026-11-02", "5000"),
        ("2026-10-31", "2000"),
    }
    heights = {bar.get("data-day"): float(bar.get("height")) for bar in bars}
    assert heights["2026-11-18"] > heights["2026-11-02"] > heights["2026-10-31"] > 0
    assert abs(heights["2026-11-02"] / heights["2026-10-31"] - 2.5) < 0.01  # a linear scale from zero
    labels = [text.text_content() for text in svg.xpath(".//*[local-name()='text']")]
    assert "0\u00a0€" in labels and "150\u00a0€" in labels  # 0 to 150 € by 50 €: the first round value above 138,08 €
    assert "16/11" in labels  # a Monday
    assert "138,08\u00a0€ le 18/11" in labels
    assert "," not in "".join(bar.get("x") + bar.get("y") for bar in bars)  # coordinates are not localised
    # The same data as a table.
    rows = page.xpath("//table[@id='chart-table']/tbody/tr")
    assert len(rows) == 90
    assert [c.text_content() for c in rows[0].xpath("td")] == ["2", "138,08\u00a0€"]
    outcomes = {row.get("data-outcome"): row for row in page.xpath("//table[@id='outcomes']//tr[@data-outcome]")}
    assert (
        outcomes["unmatched"].xpath("td")[0].text_content() == "1"
        and "À examiner" in outcomes["unmatched"].text_content()
    )
    assert [a.get("href") for a in page.xpath("//table[@id='unanswered']//a")] == [
        f"/gestion/suivi/transactions/{money[7].pk}/"
    ]


def test_chart_scale_and_empty_period():
    assert nice_step(13808) == 5000 and nice_step(1_234_500) == 250_000 and nice_step(0) == 100
    assert euros_label(123_456_00) == "123\u202f456\u00a0€"
    empty = daily_bar_chart([(datetime.date(2026, 11, d), 0, 0) for d in range(1, 11)])
    assert empty.best is None and all(bar.height == 0 for bar in empty.bars)
    assert empty.summary == "Aucun paiement encaissé du 01/11/2026 au 10/11/2026."
    tiny = daily_bar_chart([(datetime.date(2026, 11, 1), 1, 100_000_00), (datetime.date(2026, 11, 2), 1, 1)])
    assert tiny.bars[1].height == 1  # a tiny day stays visible
    assert tiny.y_ticks[-1].label == "100\u202f000\u00a0€"


def test_day_start_is_local_midnight():
    assert day_start(datetime.date(2026, 11, 18)).isoformat() == "2026-11-18T00:00:00+01:00"
    assert re.match(r"2026-07-01T00:00:00\+02:00", day_start(datetime.date(2026, 7, 1)).isoformat())
