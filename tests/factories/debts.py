"""Factories of the debts app: debts and debtor references (French data)."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from debts.models import Debt
from payments.tipi import compose_refdet
from tests.factories.clients import RegieClientFactory, TipiClientFactory


def _parts(debt) -> dict:
    year = str(timezone.localdate().year)
    number = debt.number
    if debt.client.protocol == "rolmre":
        return {"rolex": year, "rolrec": debt.client.code_recette, "roldeb": "00", "roldet": f"{number:013d}"}
    if debt.client.protocol == "pesv2":
        return {"exer": year, "idpce": f"{number:08d}", "idligne": "000001"}
    return {"codexer": year, "numtitre": f"{number:08d}", "numordre": "000001"}


class DebtFactory(DjangoModelFactory):
    class Meta:
        model = Debt
        exclude = ("number",)

    client = factory.SubFactory(TipiClientFactory)
    number = factory.Sequence(lambda n: 1000 + n)
    ref_parts = factory.LazyAttribute(_parts)
    refdet = factory.LazyAttribute(lambda d: compose_refdet(d.client.tipi_protocol, **d.ref_parts))
    amount_cents = factory.Faker("pyint", min_value=100, max_value=149_999)
    debtor_ref = factory.Faker("bothify", text="REF#######")
    debtor_name = factory.Faker("name", locale="fr_FR")
    debtor_address = factory.Faker("address", locale="fr_FR")
    label = factory.Faker("sentence", nb_words=4, locale="fr_FR")
    online_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=3))
    online_until = factory.LazyAttribute(lambda d: d.online_from + datetime.timedelta(days=d.client.online_delay_days))


class RegieDebtFactory(DebtFactory):
    """A régie invoice: its number as printed (not protocol 0's format: the REFDET is derived)."""

    client = factory.SubFactory(RegieClientFactory)
    invoice_reference = factory.Sequence(lambda n: f"FAC-2026-{n:04d}")
    ref_parts = factory.LazyAttribute(lambda d: {"invoice": d.invoice_reference})
    due_on = factory.LazyAttribute(lambda d: d.online_from + datetime.timedelta(days=30))


class DebtorReferenceFactory(DjangoModelFactory):
    class Meta:
        model = "debts.DebtorReference"

    client = factory.SubFactory(TipiClientFactory)
    reference = factory.Sequence(lambda n: f"DEB{n:07d}")
