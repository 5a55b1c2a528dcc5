"""factory_boy factories, French data."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from debts.models import Debt
from payments.models import TipiClient, Transaction
from payments.tipi import compose_refdet


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


class TransactionFactory(DjangoModelFactory):
    """A transaction as transaction_start would have made it (for tests of the return side)."""

    class Meta:
        model = Transaction

    debt = factory.SubFactory(DebtFactory)
    client = factory.SelfAttribute("debt.client")
    saisie = "M"
    refdet = factory.SelfAttribute("debt.refdet")
    amount_cents = factory.SelfAttribute("debt.amount_cents")
    email = factory.Faker("email", locale="fr_FR")
    url = "http://testserver/tpa/paiement.web"
    params = factory.LazyAttribute(
        lambda t: {
            "numcli": t.client.numcli,
            "refdet": t.refdet,
            "objet": t.token,
            "montant": str(t.amount_cents),
            "mel": t.email,
            "urlcl": "http://testserver/tipi/retour/",
            "saisie": t.saisie,
        }
    )
    token = factory.Sequence(lambda n: f"TestToken{n:015d}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)

    email = factory.Faker("email", locale="fr_FR")
    username = factory.LazyAttribute(lambda u: u.email)
    password = factory.django.Password("motdepasse-solide-2026")


class DebtorReferenceFactory(DjangoModelFactory):
    class Meta:
        model = "debts.DebtorReference"

    client = factory.SubFactory(TipiClientFactory)
    reference = factory.Sequence(lambda n: f"DEB{n:07d}")


def staff_member(username: str = "agent", password: str = "mot-de-passe-agent", role: str = "Agents", **extra):
    """An agent (or, with role="Administrateurs", an administrator) as the roles migration defines them."""
    from tipiportal.roles import staff_member_create

    user = staff_member_create(username=username, email=extra.pop("email", f"{username}@mairie.example"),
                               password=password, role=role)  # fmt: skip
    for name, value in extra.items():
        setattr(user, name, value)
    if extra:
        user.save()
    return user
