"""TIPI clients (payments app), apart so that every other factory module can use them."""

import factory
from factory.django import DjangoModelFactory

from payments.models import TipiClient


class TipiClientFactory(DjangoModelFactory):
    class Meta:
        model = TipiClient
        django_get_or_create = ("numcli",)

    numcli = factory.Sequence(lambda n: f"{100000 + n:06d}")
    protocol = "indigo"
    label = factory.Faker("city", locale="fr_FR")
    online_delay_days = 60
    state = TipiClient.State.ACTIVE


class RolmreClientFactory(TipiClientFactory):
    protocol = "rolmre"
    code_recette = "EA"


class RegieClientFactory(TipiClientFactory):
    """A régie (protocol 0): its own invoices, paid through the classic URL aller by default."""

    protocol = "regie"
    label = factory.Faker("random_element", elements=["Régie cantine", "Régie crèche", "Régie de l'eau"])
    mode = TipiClient.Mode.CLASSIC
