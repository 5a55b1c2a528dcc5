"""Retention of refused and malformed return notices (payments.services.personal_data)."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from payments.models import ReturnNotice
from payments.services.personal_data import junk_notices_purge
from tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db
Outcome = ReturnNotice.Outcome


def notice(outcome: str, days_ago: int, remote_addr: str | None = "198.51.100.7", **fields) -> ReturnNotice:
    created = ReturnNotice.objects.create(body=b"garbage", outcome=outcome, remote_addr=remote_addr, **fields)
    ReturnNotice.objects.filter(pk=created.pk).update(received_at=timezone.now() - datetime.timedelta(days=days_ago))
    return created


def test_only_old_refused_and_malformed_notices_are_deleted():
    transaction = TransactionFactory()
    deleted = [notice(Outcome.REFUSED_IP, 31), notice(Outcome.MALFORMED, 31), notice(Outcome.MALFORMED, 31, None)]
    kept = [
        notice(Outcome.REFUSED_IP, 29),
        notice(Outcome.MALFORMED, 29),
        *(notice(outcome, 31) for outcome in (Outcome.UNMATCHED, Outcome.REVIEW, Outcome.RECEIVED)),
        notice(Outcome.APPLIED, 31, transaction=transaction),
    ]
    assert junk_notices_purge(older_than_days=30) == len(deleted)
    assert sorted(ReturnNotice.objects.values_list("pk", flat=True)) == sorted(n.pk for n in kept)


def test_malformed_notices_from_tipis_addresses_are_kept(settings):
    settings.TIPI_RETURN_ALLOWED_IPS = ["192.0.2.0/24", "2001:db8::/32"]
    tipi = [notice(Outcome.MALFORMED, 90, "192.0.2.10"), notice(Outcome.MALFORMED, 90, "2001:db8::1")]
    notice(Outcome.MALFORMED, 90, "198.51.100.7")
    notice(Outcome.REFUSED_IP, 90, "198.51.100.7")
    assert junk_notices_purge(older_than_days=30) == 2
    assert sorted(ReturnNotice.objects.values_list("pk", flat=True)) == sorted(n.pk for n in tipi)


def test_the_command_takes_the_setting_or_its_option(settings, capsys):
    settings.RETURNS_JUNK_RETENTION_DAYS = 10
    notice(Outcome.MALFORMED, 11)
    young = notice(Outcome.MALFORMED, 5)
    call_command("purge_personal_data")
    assert "1 retour(s) refusé(s) ou mal formé(s) supprimé(s) (plus de 10 jours)." in capsys.readouterr().out
    call_command("purge_personal_data", "--junk-days", "3")
    assert "1 retour(s) refusé(s) ou mal formé(s) supprimé(s) (plus de 3 jours)." in capsys.readouterr().out
    assert not ReturnNotice.objects.filter(pk=young.pk).exists()
