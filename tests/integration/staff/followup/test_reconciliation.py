"""Reconciliation: in-progress debts marked paid one by one, in bulk, or from the accounting's CSV
(bad lines reported with their number, good lines applied, each audited), and undone with a reason."""

import datetime

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from debts.models import Debt, DebtEvent
from debts.services.debts import DebtActionRefused, debt_undo_paid
from debts.services.reconciliation import (
    ReconciliationFileRefused,
    parse_payment_date,
    reconciliation_file_apply,
    reconciliation_file_read,
)
from tests.factories import DebtFactory, TipiClientFactory, staff_member

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 22)
URL = "/gestion/suivi/rapprochement/"


@pytest.fixture
def agent_user():
    return staff_member("agent", email="agent@mairie.example")


@pytest.fixture
def agent(client, agent_user):
    client.force_login(agent_user)
    return client


def doc(response):
    return lxml.html.fromstring(response.content.decode())


def table_rows(response, table_id):
    return [
        [cell.text_content().strip() for cell in row.xpath("td")]
        for row in doc(response).xpath(f"//table[@id='{table_id}']/tbody/tr")
    ]


# --- Reading the file ----------------------------------------------------------------------


def test_dates_in_both_formats_strictly():
    assert parse_payment_date("21/11/2026") == datetime.date(2026, 11, 21)
    assert parse_payment_date(" 2026-11-21 ") == datetime.date(2026, 11, 21)
    for bad, message in [
        ("21/11/26", "Date de paiement « 21/11/26 » incorrecte : écrivez-la JJ/MM/AAAA ou AAAA-MM-JJ."),
        ("2026/11/21", "Date de paiement « 2026/11/21 » incorrecte : écrivez-la JJ/MM/AAAA ou AAAA-MM-JJ."),
        ("31/02/2026", "Date de paiement « 31/02/2026 » inexistante."),
        ("", "Date de paiement manquante."),
    ]:
        with pytest.raises(ValueError) as error:
            parse_payment_date(bad)
        assert str(error.value) == message


@pytest.mark.parametrize(
    "content",
    [
        b"REFDET;date\r\nA1;21/11/2026\r\nA2;2026-11-20\r\n",
        b"A1,21/11/2026\nA2,2026-11-20\n",
        b"\xef\xbb\xbfR\xc3\xa9f\xc3\xa9rence,Date de paiement\n\nA1,21/11/2026\nA2,2026-11-20,38.08\n",
        'référence;date\nA1;21/11/2026\n"A2";2026-11-20\n'.encode("cp1252"),
    ],
    ids=["semicolon-header", "comma-no-header", "bom-comma-extra-column", "cp1252-quoted"],
)
def test_separators_header_and_encodings(content):
    good, issues, _, _ = reconciliation_file_read(content, today=TODAY)
    assert issues == []
    assert [(line.refdet, line.paid_on) for line in good] == [
        ("A1", datetime.date(2026, 11, 21)),
        ("A2", datetime.date(2026, 11, 20)),
    ]


def test_bad_lines_have_their_number_and_a_french_message():
    content = "\n".join(
        [
            "REFDET;date",
            "A1;21/11/2026",
            "A2",
            ";21/11/2026",
            "A3;21-11-2026",
            "A4;30/02/2026",
            "A5;23/11/2026",
            "A1;20/11/2026",
            "",
            "A6;22/11/2026",
        ]
    ).encode()
    good, issues, read, header = reconciliation_file_read(content, today=TODAY)
    assert header and read == 9
    assert [(line.line_no, line.refdet) for line in good] == [(2, "A1"), (10, "A6")]
    assert [(issue.line_no, issue.refdet, issue.message) for issue in issues] == [
        (
            3,
            "A2",
            "Ligne incomplète : deux colonnes sont attendues, la référence (REFDET) et la date de paiement, "
            "séparées par « ; » ou « , ».",
        ),
        (4, "", "Référence de la dette (REFDET) manquante."),
        (5, "A3", "Date de paiement « 21-11-2026 » incorrecte : écrivez-la JJ/MM/AAAA ou AAAA-MM-JJ."),
        (6, "A4", "Date de paiement « 30/02/2026 » inexistante."),
        (7, "A5", "Date de paiement 23/11/2026 dans le futur."),
        (8, "A1", "Référence déjà présente à la ligne 2 du fichier."),
    ]


def test_an_empty_or_huge_file_is_refused_whole(agent_user, monkeypatch):
    tipi_client = TipiClientFactory()
    with pytest.raises(ReconciliationFileRefused, match="aucune ligne"):
        reconciliation_file_apply(client=tipi_client, content=b"REFDET;date\n\n", filename="vide.csv", user=agent_user)
    from debts.services import reconciliation

    monkeypatch.setattr(reconciliation, "MAX_FILE_LINES", 2)
    debt = DebtFactory(client=tipi_client, state=Debt.State.IN_PROGRESS)
    content = f"{debt.refdet};21/11/2026\nB;21/11/2026\nC;21/11/2026\n".encode()
    with pytest.raises(ReconciliationFileRefused, match="plus de 2 lignes"):
        reconciliation_file_apply(client=tipi_client, content=content, filename="gros.csv", user=agent_user)
    debt.refresh_from_db()
    assert debt.state == Debt.State.IN_PROGRESS


# --- From a file, through the page ------------------------------------------------------------


@pytest.fixture
def debts():
    north, south = TipiClientFactory(label="Cantine du Nord"), TipiClientFactory(label="Eau du Sud")
    return {
        "north": north,
        "south": south,
        "a": DebtFactory(client=north, state=Debt.State.IN_PROGRESS, amount_cents=3808),
        "b": DebtFactory(client=north, state=Debt.State.IN_PROGRESS, amount_cents=1000),
        "open": DebtFactory(client=north, state=Debt.State.OPEN),
        "paid": DebtFactory(client=north, state=Debt.State.PAID),
        "cancelled": DebtFactory(client=north, state=Debt.State.CANCELLED),
        "other_client": DebtFactory(client=south, state=Debt.State.IN_PROGRESS),
    }


def upload(agent, client_pk, content: bytes, name="paiements-novembre.csv"):
    return agent.post(
        f"{URL}fichier/", {"client": client_pk, "file": SimpleUploadedFile(name, content, content_type="text/csv")}
    )


def test_a_file_applies_its_good_lines_and_reports_every_bad_one(agent, agent_user, debts):
    d = debts
    today = timezone.localdate()
    one, two = today - datetime.timedelta(days=1), today - datetime.timedelta(days=2)
    content = "\n".join(
        [
            "REFDET;Date de paiement",
            f"{d['a'].refdet};{one:%d/%m/%Y}",
            f"999999999999999999;{one:%d/%m/%Y}",
            f"{d['open'].refdet};{one:%d/%m/%Y}",
            f"{d['b'].refdet};{two:%Y-%m-%d}",
            f"{d['paid'].refdet};{two:%d/%m/%Y}",
            f"{d['cancelled'].refdet};{two:%d/%m/%Y}",
            f"{d['other_client'].refdet};{two:%d/%m/%Y}",
            f"{d['a'].refdet};{two:%d/%m/%Y}",
            "ZZZ;32/13/2026",
        ]
    ).encode()
    response = upload(agent, d["north"].pk, content)
    assert response.status_code == 200
    summary = doc(response).xpath("//*[@id='report-summary']")[0].text_content()
    assert "10 lignes lues (ligne d'en-tête comprise)" in summary
    # An open debt the accounting saw paid is marked paid, as on its own page (debt_mark_paid's rule).
    assert "3 dettes marquées payées" in summary and "6 lignes en anomalie" in summary
    assert table_rows(response, "report-issues") == [
        ["3", "999999999999999999", "Référence (REFDET) inconnue pour le client Cantine du Nord."],
        ["6", d["paid"].refdet, "La dette est déjà payée."],
        ["7", d["cancelled"].refdet, "La dette est annulée."],
        ["8", d["other_client"].refdet, "Référence (REFDET) inconnue pour le client Cantine du Nord."],
        ["9", d["a"].refdet, "Référence déjà présente à la ligne 2 du fichier."],
        ["10", "ZZZ", "Date de paiement « 32/13/2026 » inexistante."],
    ]
    applied = table_rows(response, "report-applied")
    assert [(row[0], row[1], row[4]) for row in applied] == [
        ("2", d["a"].refdet, f"{one:%d/%m/%Y}"),
        ("4", d["open"].refdet, f"{one:%d/%m/%Y}"),
        ("5", d["b"].refdet, f"{two:%d/%m/%Y}"),
    ]
    states = {key: Debt.objects.get(pk=debt.pk).state for key, debt in d.items() if key not in ("north", "south")}
    assert states == {
        "a": "paid",
        "b": "paid",
        "open": "paid",
        "paid": "paid",
        "cancelled": "cancelled",
        "other_client": "in_progress",
    }
    events = DebtEvent.objects.order_by("debt_id")
    assert [(e.debt_id, e.action, e.state_before, e.state_after, e.user, e.reason) for e in events] == [
        (
            d["a"].pk,
            "mark_paid",
            "in_progress",
            "paid",
            agent_user,
            f"Rapprochement fichier paiements-novembre.csv, ligne 2, payé le {one:%d/%m/%Y}",
        ),
        (
            d["b"].pk,
            "mark_paid",
            "in_progress",
            "paid",
            agent_user,
            f"Rapprochement fichier paiements-novembre.csv, ligne 5, payé le {two:%d/%m/%Y}",
        ),
        (
            d["open"].pk,
            "mark_paid",
            "open",
            "paid",
            agent_user,
            f"Rapprochement fichier paiements-novembre.csv, ligne 4, payé le {one:%d/%m/%Y}",
        ),
    ]


def test_a_file_needs_a_client_and_a_readable_content(agent, debts):
    response = agent.post(f"{URL}fichier/", {"file": SimpleUploadedFile("p.csv", b"A;21/11/2026")})
    assert response.status_code == 400 and "Choisissez le client TIPI." in response.content.decode()
    response = upload(agent, debts["north"].pk, b"REFDET;date\n")
    assert response.status_code == 400 and "Le fichier ne contient aucune ligne." in response.content.decode()
    assert not DebtEvent.objects.exists()


# --- In bulk, ticked on the page ---------------------------------------------------------------


def test_the_page_lists_the_debts_in_progress_with_their_tipi_payment(agent, debts):
    from tests.factories import TransactionFactory

    TransactionFactory(debt=debts["a"], state="paid", numauto="777888", dattrans=datetime.date(2026, 11, 21))
    response = agent.get(URL)
    listed = [int(pk) for pk in doc(response).xpath("//table[@id='in-progress']//tr/@data-debt")]
    assert set(listed) == {debts["a"].pk, debts["b"].pk, debts["other_client"].pk}
    assert "21/11/2026, 777888" in doc(response).xpath(f"//tr[@data-debt='{debts['a'].pk}']")[0].text_content()
    response = agent.get(URL, {"client": debts["south"].pk})
    assert [int(pk) for pk in doc(response).xpath("//table[@id='in-progress']//tr/@data-debt")] == [
        debts["other_client"].pk
    ]
    # One by one: each row links to the debt's own "marquer payée" action.
    page = agent.get(URL).content.decode()
    assert f'href="/gestion/dettes/{debts["a"].pk}/marquer-payee/"' in page


def test_bulk_marks_the_ticked_debts_paid_and_reports_the_others(agent, agent_user, debts):
    d = debts
    response = agent.post(
        f"{URL}selection/",
        {
            "debts": [d["a"].pk, d["other_client"].pk, d["open"].pk, d["cancelled"].pk],
            "reason": "Relevé Hélios du 21/11",
        },
    )
    assert response.status_code == 200
    assert "4 lignes lues" in doc(response).xpath("//*[@id='report-summary']")[0].text_content()
    # An open debt is marked paid, as on its own page (debt_mark_paid's rule); a cancelled one is not.
    assert table_rows(response, "report-issues") == [[d["cancelled"].refdet, "La dette est annulée."]]
    assert [row[0] for row in table_rows(response, "report-applied")] == [  # in the debts' order (REFDET)
        d["a"].refdet,
        d["open"].refdet,
        d["other_client"].refdet,
    ]
    assert Debt.objects.get(pk=d["a"].pk).state == Debt.State.PAID
    assert Debt.objects.get(pk=d["other_client"].pk).state == Debt.State.PAID
    assert Debt.objects.get(pk=d["open"].pk).state == Debt.State.PAID
    assert Debt.objects.get(pk=d["cancelled"].pk).state == Debt.State.CANCELLED
    assert set(DebtEvent.objects.values_list("reason", "user")) == {
        ("Rapprochement : Relevé Hélios du 21/11", agent_user.pk)
    }
    # The list no longer holds them; the recent reconciliations do, with their undo link.
    page = doc(agent.get(URL))
    assert [int(pk) for pk in page.xpath("//table[@id='in-progress']//tr/@data-debt")] == [d["b"].pk]
    assert {a.get("href") for a in page.xpath("//table[@id='recent']//a[starts-with(., 'Défaire')]")} == {
        f"{URL}dettes/{d['a'].pk}/defaire/",
        f"{URL}dettes/{d['other_client'].pk}/defaire/",
        f"{URL}dettes/{d['open'].pk}/defaire/",
    }


def test_bulk_needs_a_ticked_debt_and_a_reason(agent, debts):
    response = agent.post(f"{URL}selection/", {"reason": "Relevé"})
    assert response.status_code == 400 and "Cochez au moins une dette." in response.content.decode()
    response = agent.post(f"{URL}selection/", {"debts": [debts["a"].pk], "reason": "  "})
    assert response.status_code == 400 and "Indiquez le motif" in response.content.decode()
    assert Debt.objects.get(pk=debts["a"].pk).state == Debt.State.IN_PROGRESS


# --- Undo ----------------------------------------------------------------------------------


def test_undo_puts_a_reconciled_debt_back_in_progress_with_a_reason(agent, agent_user, debts):
    debt = debts["a"]
    agent.post(f"{URL}selection/", {"debts": [debt.pk], "reason": "Relevé"})
    assert Debt.objects.get(pk=debt.pk).state == Debt.State.PAID

    page = agent.get(f"{URL}dettes/{debt.pk}/defaire/")
    assert page.status_code == 200 and "Défaire le paiement de la dette" in page.content.decode()
    response = agent.post(f"{URL}dettes/{debt.pk}/defaire/", {"reason": ""})
    assert response.status_code == 400 and "Indiquez le motif" in response.content.decode()
    assert Debt.objects.get(pk=debt.pk).state == Debt.State.PAID

    response = agent.post(f"{URL}dettes/{debt.pk}/defaire/", {"reason": "Mauvaise ligne du relevé"}, follow=True)
    assert f"Le paiement de la dette {debt.refdet} est défait." in response.content.decode()
    assert Debt.objects.get(pk=debt.pk).state == Debt.State.IN_PROGRESS
    undo = DebtEvent.objects.get(action=DebtEvent.Action.UNDO_PAID)
    assert (undo.debt_id, undo.state_before, undo.state_after, undo.user, undo.reason) == (
        debt.pk,
        "paid",
        "in_progress",
        agent_user,
        "Mauvaise ligne du relevé",
    )
    # Nothing left to undo.
    response = agent.post(f"{URL}dettes/{debt.pk}/defaire/", {"reason": "Encore"}, follow=True)
    assert "Seule une dette payée peut revenir à son état précédent." in response.content.decode()
    assert DebtEvent.objects.filter(action=DebtEvent.Action.UNDO_PAID).count() == 1
    # Reconciled again, it is paid again.
    agent.post(f"{URL}selection/", {"debts": [debt.pk], "reason": "Bonne ligne"})
    assert Debt.objects.get(pk=debt.pk).state == Debt.State.PAID


def test_undo_returns_to_the_state_before_the_payment_was_confirmed(agent_user):
    """A payment confirmed by another means (open → paid) goes back to open, not in progress."""
    from debts.services.debts import debt_mark_paid

    debt = DebtFactory(state=Debt.State.OPEN)
    debt_mark_paid(debt=debt, user=agent_user, reason="Payé au guichet")
    assert debt_undo_paid(debt=debt, user=agent_user, reason="Erreur de dette").state == Debt.State.OPEN
    paid_without_event = DebtFactory(state=Debt.State.PAID)
    assert debt_undo_paid(debt=paid_without_event, user=agent_user, reason="Erreur").state == Debt.State.IN_PROGRESS
    with pytest.raises(DebtActionRefused):
        debt_undo_paid(debt=paid_without_event, user=agent_user, reason="Encore")
