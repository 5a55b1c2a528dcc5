"""Factories of the payments app: transactions (French data)."""

import factory
from factory.django import DjangoModelFactory

from payments.models import Transaction
from tests.factories.debts import DebtFactory


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
