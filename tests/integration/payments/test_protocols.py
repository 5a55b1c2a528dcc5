"""One declaration of the TIPI protocols (payments.tipi.Protocol): clients and imports derive from it."""

import pytest

from debts.models import ImportBatch
from payments.models import ClientProtocol, TipiClient
from payments.tipi import PORTAL_PROTOCOLS, Protocol

# Every protocol is served: titres and rôles from Hélios' files, régies from their CSV invoices.
SERVED = list(PORTAL_PROTOCOLS)


@pytest.mark.parametrize("protocol", list(Protocol), ids=lambda p: p.name)
def test_every_protocol_is_a_client_choice(protocol):
    client = TipiClient(numcli="123456", protocol=ClientProtocol(protocol.slug), label="x")
    assert client.tipi_protocol is protocol
    assert ClientProtocol(protocol.slug).label.startswith(protocol.label + " (")


@pytest.mark.parametrize("protocol", SERVED, ids=lambda p: p.name)
def test_every_served_protocol_is_a_client_choice_and_a_file_format(protocol):
    client = TipiClient(numcli="123456", protocol=ClientProtocol(protocol.slug), label="x")
    assert client.tipi_protocol is protocol
    assert ImportBatch.Format(protocol.slug).label == protocol.label
    assert ClientProtocol(protocol.slug).label.startswith(protocol.label + " (")
    # The format of a client's files is its protocol's: derived, not mapped by hand.
    assert ImportBatch.format_for(client) == protocol.slug


def test_the_portal_serves_no_other_protocol():
    assert list(Protocol) == SERVED
    assert sorted(ClientProtocol.values) == sorted(p.slug for p in Protocol)
    assert sorted(ImportBatch.Format.values) == sorted(p.slug for p in SERVED)


def test_choices_keep_their_stored_values_and_labels():
    # What the migrations recorded: changing them would need a migration and break stored rows.
    assert ClientProtocol.choices == [
        ("indigo", "INDIGO (titres)"),
        ("pesv2", "PES V2 Recette (titres)"),
        ("regie", "Régie (factures)"),
        ("rolmre", "ROLMRE (rôles)"),
    ]
    assert ImportBatch.Format.choices == [
        ("indigo", "INDIGO"),
        ("rolmre", "ROLMRE"),
        ("pesv2", "PES V2 Recette"),
        ("regie", "Régie"),
    ]


def test_a_stored_slug_reads_back_as_its_protocol():
    assert [Protocol.from_slug(p.slug) for p in Protocol] == list(Protocol)
    for bad in ("INDIGO", "regie ", "1", ""):
        with pytest.raises(ValueError):
            Protocol.from_slug(bad)
