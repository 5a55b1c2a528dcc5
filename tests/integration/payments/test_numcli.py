"""NUMCLI is 6 ASCII digits (annex 10, T1), checked by payments.tipi.is_valid_numcli everywhere.

``\\d`` accepts any Unicode digit: Arabic-Indic or fullwidth digits look like a NUMCLI to it,
and TIPI refuses them.
"""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from payments.models import NUMCLI_MESSAGE, TipiClient
from payments.services.tipi_clients import tipi_client_save
from tests.factories import staff_member

pytestmark = pytest.mark.django_db

NOT_ASCII_DIGITS = ["١٢٣٤٥٦", "１２３４５６", "12345٦"]


def test_the_one_message():
    assert NUMCLI_MESSAGE == "Le numéro client TIPI comporte exactement 6 chiffres."


@pytest.mark.parametrize("numcli", NOT_ASCII_DIGITS)
def test_the_model_refuses_other_digits(numcli):
    client = TipiClient(numcli=numcli, protocol="indigo", label="Cantine")
    with pytest.raises(ValidationError) as refused:
        client.full_clean()
    assert refused.value.message_dict["numcli"] == [NUMCLI_MESSAGE]


def test_the_model_accepts_six_ascii_digits():
    TipiClient(numcli="012345", protocol="indigo", label="Cantine").full_clean()


@pytest.mark.parametrize("numcli", NOT_ASCII_DIGITS)
def test_the_console_form_refuses_other_digits(client, numcli):
    # The form reads the input, the service's rules refuse it next to the field, together with any other.
    client.force_login(staff_member("admin", "mot-de-passe-admin", role="Administrateurs"))
    data = {"numcli": numcli, "protocol": "indigo", "label": "Cantine", "online_delay_days": "9", "mode": "classic"}
    data["state"] = "new"
    response = client.post("/gestion/tipi/clients/nouveau/", data)
    assert response.status_code == 400
    assert response.context["form"].errors["numcli"] == [NUMCLI_MESSAGE]
    assert response.context["form"].errors["online_delay_days"]
    assert not TipiClient.objects.exists()


@pytest.mark.parametrize("numcli", NOT_ASCII_DIGITS)
def test_the_service_refuses_other_digits(numcli):
    user = staff_member("admin", "mot-de-passe-admin", role="Administrateurs")
    with pytest.raises(ValidationError) as refused:
        tipi_client_save(user=user, numcli=numcli, protocol="indigo", label="Cantine", online_delay_days=60)
    assert refused.value.message_dict["numcli"] == [NUMCLI_MESSAGE]
    assert not TipiClient.objects.exists()


@pytest.mark.parametrize("numcli", NOT_ASCII_DIGITS[:2])
def test_the_command_refuses_other_digits(numcli):
    with pytest.raises(CommandError, match=NUMCLI_MESSAGE):
        call_command("tipi_client", "add", "--numcli", numcli, "--protocol", "indigo", "--label", "Cantine")
    assert not TipiClient.objects.exists()
