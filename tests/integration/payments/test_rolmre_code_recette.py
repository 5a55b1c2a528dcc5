"""A ROLMRE client without a code recette cannot be created by any path (annex 4: ROLREC is mandatory
for EAU, and a DDPAC contract's code is its ROLNAT). The console form: tests/integration/staff/console/
test_clients.py (code_recette cases)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from payments.models import ROLMRE_CODE_RECETTE_MESSAGE, TipiClient
from payments.services.tipi_clients import tipi_client_save

pytestmark = pytest.mark.django_db


def test_the_database_refuses_it():
    with pytest.raises(IntegrityError), transaction.atomic():
        TipiClient.objects.create(numcli="067890", protocol="rolmre", label="Eau")
    assert TipiClient.objects.create(numcli="067891", protocol="rolmre", label="Eau", code_recette="EA").pk


def test_model_validation_names_the_field():
    client = TipiClient(numcli="067890", protocol="rolmre", label="Eau")
    with pytest.raises(ValidationError) as refused:
        client.full_clean()
    assert refused.value.message_dict["code_recette"] == [ROLMRE_CODE_RECETTE_MESSAGE]
    TipiClient(numcli="012345", protocol="indigo", label="Cantine").full_clean()  # other protocols need none


def test_the_service_refuses_it():
    with pytest.raises(ValidationError) as refused:
        tipi_client_save(user=None, numcli="067890", protocol="rolmre", label="Eau", online_delay_days=60)
    assert refused.value.message_dict["code_recette"] == [ROLMRE_CODE_RECETTE_MESSAGE]
    assert not TipiClient.objects.exists()


def test_the_command_refuses_it():
    with pytest.raises(CommandError, match="code_recette"):
        call_command("tipi_client", "add", "--numcli", "067890", "--protocol", "rolmre", "--label", "Eau")
    assert not TipiClient.objects.exists()
