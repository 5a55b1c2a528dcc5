"""The IT department's commands: tipi_client, import_debts (report and exit codes)."""

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from debts.models import Debt
from payments.models import TipiClient
from tests.integration.debts.services.test_imports import rolmre_line, write

pytestmark = pytest.mark.django_db


def test_tipi_client_add_and_list(capsys):
    call_command(
        "tipi_client", "add", "--numcli", "067890", "--protocol", "rolmre", "--label", "Eau", "--code-recette", "EA"
    )
    client = TipiClient.objects.get(numcli="067890")
    assert (client.protocol, client.code_recette, client.state, client.online_delay_days) == ("rolmre", "EA", "new", 60)
    call_command("tipi_client", "list")
    assert "067890\trolmre\tclassic\tnew" in capsys.readouterr().out


def test_tipi_client_list_shows_each_client_s_protocol_and_mode(capsys):
    call_command(
        "tipi_client", "add", "--numcli", "090909", "--protocol", "regie", "--label", "Cantine", "--mode", "webservice"
    )
    call_command("tipi_client", "add", "--numcli", "010101", "--protocol", "indigo", "--label", "Eau")
    # An update without --mode keeps the client's mode.
    call_command("tipi_client", "add", "--numcli", "090909", "--protocol", "regie", "--label", "Régie cantine")
    capsys.readouterr()
    call_command("tipi_client", "list")
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "010101\tindigo\tclassic\tnew\t60 j\t-\tEau",
        "090909\tregie\twebservice\tnew\t60 j\t-\tRégie cantine",
    ]


def test_tipi_client_add_refuses_the_webservice_mode_to_a_titre_client():
    with pytest.raises(CommandError, match="mode : Le mode web-service PayFiP"):
        call_command(
            "tipi_client", "add", "--numcli", "010101", "--protocol", "pesv2", "--label", "Eau", "--mode", "webservice"
        )
    assert not TipiClient.objects.exists()


@pytest.mark.parametrize(("args", "message"), [(["--numcli", "12345"], "6 chiffres"), (["--delay", "5"], "10")])
def test_tipi_client_add_refuses_bad_values(args, message):
    base = {"--numcli": "067890", "--protocol": "indigo", "--label": "Cantine"}
    base.update(dict(zip(args[::2], args[1::2])))
    with pytest.raises(CommandError, match=message):
        call_command("tipi_client", "add", *[x for pair in base.items() for x in pair])


def test_tipi_client_add_refuses_a_new_client_created_active(capsys, monkeypatch):
    args = [
        "tipi_client",
        "add",
        "--numcli",
        "067890",
        "--protocol",
        "indigo",
        "--label",
        "Cantine",
        "--state",
        "active",
    ]
    with pytest.raises(CommandError, match="il devient actif au retour de son URL d'activation") as refused:
        call_command(*args)
    assert refused.value.returncode == 1
    assert not TipiClient.objects.exists()
    # As `manage.py` runs it: the French message on stderr, exit code 1. (run_from_argv closes the
    # connections when done: not the test's own.)
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", *args]).execute()
    assert exit_info.value.code == 1
    assert "il devient actif au retour de son URL d'activation (SAISIE=X)" in capsys.readouterr().err
    assert not TipiClient.objects.exists()


def test_tipi_client_add_cannot_activate_an_existing_new_client():
    call_command("tipi_client", "add", "--numcli", "067890", "--protocol", "indigo", "--label", "Cantine")
    with pytest.raises(CommandError, match="pas à la main"):
        call_command(
            "tipi_client",
            "add",
            "--numcli",
            "067890",
            "--protocol",
            "indigo",
            "--label",
            "Cantine",
            "--state",
            "active",
        )
    assert TipiClient.objects.get().state == "new"


def test_a_client_added_by_the_command_has_the_console_s_history():
    from payments.services.tipi_clients import tipi_client_save
    from staff.followup.audit import client_audit_entries
    from tests.factories import staff_member

    call_command(
        "tipi_client", "add", "--numcli", "067890", "--protocol", "rolmre", "--label", "Eau", "--code-recette", "EA"
    )
    by_command = TipiClient.objects.get(numcli="067890")
    by_console = tipi_client_save(
        user=staff_member("admin", "mot-de-passe-admin", role="Administrateurs"),
        numcli="067891",
        protocol="rolmre",
        label="Eau",
        online_delay_days=60,
        code_recette="EA",
    )

    def readable(client):
        return [
            (
                entry.type_label,
                entry.reason,
                [(c.label, c.before, c.after) for c in entry.changes if c.label != "numéro client TIPI"],
            )
            for entry in client_audit_entries(client)
        ]

    assert (
        readable(by_command)
        == readable(by_console)
        == [
            (
                "Création",
                "",
                [
                    ("protocole", "—", "ROLMRE (rôles)"),
                    ("libellé", "—", "Eau"),
                    ("délai de mise en ligne (jours)", "—", "60"),
                    ("code recette (ROLMRE)", "—", "EA"),
                    ("n'accepter que les dettes connues du portail", "—", "Non"),
                    ("mode de paiement", "—", "URL aller classique"),
                    ("état", "—", "Nouveau (à activer)"),
                ],
            )
        ]
    )
    assert client_audit_entries(by_command)[0].user is None  # no agent: the IT department's command


def test_tipi_client_add_updates_through_the_service_and_keeps_unlisted_settings():
    call_command("tipi_client", "add", "--numcli", "067890", "--protocol", "indigo", "--label", "Cantine")
    TipiClient.objects.update(accept_only_known_debts=True)
    call_command(
        "tipi_client", "add", "--numcli", "067890", "--protocol", "indigo", "--label", "Cantine", "--delay", "90"
    )
    client = TipiClient.objects.get()
    assert (client.online_delay_days, client.accept_only_known_debts, client.state) == (90, True, "new")
    assert list(client.history.values_list("history_type", flat=True)) == ["~", "+"]


def import_debts(*args):
    with pytest.raises(SystemExit) as exit_info:  # noqa: PT012 - a command that returns means exit code 0
        call_command("import_debts", *args)
        raise SystemExit(0)
    return exit_info.value.code


@pytest.fixture
def water():
    call_command(
        "tipi_client", "add", "--numcli", "067890", "--protocol", "rolmre", "--label", "Eau", "--code-recette", "EA"
    )
    return TipiClient.objects.get()


def test_import_ok_exits_0_with_report(water, tmp_path, capsys):
    path = write(tmp_path, [rolmre_line("0000000000001", 3808)])
    assert import_debts("--client", "067890", "--format", "rolmre", str(path)) == 0
    out = capsys.readouterr().out
    assert "Dettes importées : 1" in out
    assert Debt.objects.count() == 1


def test_import_with_bad_lines_exits_1_and_names_each_line(water, tmp_path, capsys):
    path = write(tmp_path, [rolmre_line("0000000000001", 3808), rolmre_line("0000000000002", 1, ROLTOT="1X")])
    assert import_debts("--client", "067890", "--format", "rolmre", "--mode", "partial", str(path)) == 1
    out = capsys.readouterr().out
    assert "ligne 2 – ROLTOT" in out
    assert Debt.objects.count() == 1


def test_import_fatal_errors_exit_2(water, tmp_path, capsys):
    assert import_debts("--client", "999999", "--format", "rolmre", str(tmp_path / "none.txt")) == 2
    assert import_debts("--client", "067890", "--format", "rolmre", str(tmp_path / "none.txt")) == 2
    path = write(tmp_path, [rolmre_line("0000000000001", 3808)])
    assert import_debts("--client", "067890", "--format", "rolmre", str(path)) == 0
    assert import_debts("--client", "067890", "--format", "rolmre", str(path)) == 2
    assert "déjà été importé" in capsys.readouterr().err


def test_dry_run_writes_nothing(water, tmp_path):
    path = write(tmp_path, [rolmre_line("0000000000001", 3808)])
    assert import_debts("--client", "067890", "--format", "rolmre", "--dry-run", str(path)) == 0
    assert not Debt.objects.exists()
