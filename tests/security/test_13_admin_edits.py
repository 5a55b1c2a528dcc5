"""Issue 13, item 13: the Django admin console shows what services own, and changes none of it
(before: an administrator could set a debt's state and amount, or activate a client, with no domain event)."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict

from tests.factories import DebtFactory, TransactionFactory

pytestmark = pytest.mark.django_db

SERVICE_OWNED = ["payments/tipiclient", "payments/transaction", "payments/returnnotice", "debts/debt"]


@pytest.fixture
def superuser(client):
    user = get_user_model().objects.create_superuser("dsi", "dsi@mairie.example", "mot-de-passe-dsi-2026")
    client.force_login(user)
    return client


@pytest.fixture
def objects():
    transaction = TransactionFactory()
    notice = transaction.notices.create(body=b"NUMCLI=1", content_type="text/plain", headers={}, outcome="malformed")
    return {
        "payments/tipiclient": transaction.client.pk,
        "payments/transaction": transaction.pk,
        "payments/returnnotice": notice.pk,
        "debts/debt": DebtFactory().pk,
    }


@pytest.mark.parametrize("model", SERVICE_OWNED)
def test_list_and_detail_are_shown(superuser, objects, model):
    assert superuser.get(f"/gestion/admin/{model}/").status_code == 200
    page = superuser.get(f"/gestion/admin/{model}/{objects[model]}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # shown, not editable


@pytest.mark.parametrize("model", SERVICE_OWNED)
def test_nothing_is_added_changed_or_deleted(superuser, objects, model):
    pk = objects[model]
    model_class = apps.get_model(model.replace("/", "."))
    before = model_to_dict(model_class.objects.get(pk=pk))
    assert superuser.get(f"/gestion/admin/{model}/add/").status_code == 403
    assert superuser.post(f"/gestion/admin/{model}/{pk}/delete/", {"post": "yes"}).status_code == 403
    changed = superuser.post(
        f"/gestion/admin/{model}/{pk}/change/",
        {**{k: v for k, v in before.items() if v is not None}, "state": "paid", "label": "changé"},
    )
    assert changed.status_code == 403
    assert model_to_dict(model_class.objects.get(pk=pk)) == before
