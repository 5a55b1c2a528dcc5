"""The IT department's commands: tipi_client, import_debts (report and exit codes)."""

import pytest
from django.core.management import call_command
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
    assert "067890\trolmre\tnew" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [(["--numcli", "12345"], "6 chiffres"), (["--delay", "5"], "10")])
def test_tipi_client_add_refuses_bad_values(args, message):
    base = {"--numcli": "067890", "--protocol": "indigo", "--label": "Cantine"}
    base.update(dict(zip(args[::2], args[1::2])))
    with pytest.raises(CommandError, match=message):
        call_command("tipi_client", "add", *[x for pair in base.items() for x in pair])


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
