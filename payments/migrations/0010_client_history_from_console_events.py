"""Before ClientEvent goes (0011): copy into the clients' history what only ClientEvent knows.

ClientEvent (0005) and the history (0006) came in the same release, and ClientEvent was only
written by the console's service right after a save that simple-history recorded. So each
event has its history row (same client, dated just before it) holding the same values. What
the history may lack:

- who, when the save ran without a request (simple-history's user comes from the request):
  the event's user is copied onto its row;
- the values before the first console change of a client created before the history existed
  (its first row is a "~" with nothing before it): a row with those values is added, dated
  just before, with a reason saying where it comes from;
- an event without any history row (not expected): a row is added from the event's values
  and the client's next known values.
"""

import datetime

from django.db import migrations

WINDOW = datetime.timedelta(seconds=10)
BEFORE_REASON = "Valeurs avant la première modification, reprises du journal de la console"
COPIED_REASON = "Repris du journal de la console"
FIELDS = ("numcli", "protocol", "label", "online_delay_days", "code_recette", "accept_only_known_debts", "state")


def _raw(history_model, field: str, shown: str):
    """A value as ClientEvent showed it (choice label, "Oui"/"Non", text) back to what is stored."""
    if field in ("protocol", "state"):
        by_label = {str(label): value for value, label in history_model._meta.get_field(field).choices}
        return by_label.get(shown, shown)
    if field == "accept_only_known_debts":
        return shown == "Oui"
    if field == "online_delay_days":
        return int(shown)
    return shown


def _snapshot(row) -> dict:
    return {field: getattr(row, field) for field in FIELDS}


def _copy(apps, schema_editor):
    ClientEvent = apps.get_model("payments", "ClientEvent")
    TipiClient = apps.get_model("payments", "TipiClient")
    History = apps.get_model("payments", "HistoricalTipiClient")
    for event in ClientEvent.objects.order_by("client_id", "at", "pk").iterator():
        rows = list(History.objects.filter(id=event.client_id).order_by("history_date", "history_id"))
        kind = "+" if event.action == "created" else "~"
        matched = next(
            (
                row
                for row in reversed(rows)
                if row.history_type == kind and datetime.timedelta(0) <= event.at - row.history_date <= WINDOW
            ),
            None,
        )
        if matched is None:
            later = next((row for row in rows if row.history_date > event.at), None)
            values = _snapshot(later) if later else _snapshot(TipiClient.objects.get(pk=event.client_id))
            values.update({c["field"]: _raw(History, c["field"], c["after"]) for c in event.changes})
            History.objects.create(
                id=event.client_id,
                history_date=event.at,
                history_type=kind,
                history_user_id=event.user_id,
                history_change_reason=COPIED_REASON,
                **values,
            )
            continue
        if matched.history_user_id is None and event.user_id is not None:
            matched.history_user_id = event.user_id
            matched.save(update_fields=["history_user"])
        if kind == "~" and rows[0].history_id == matched.history_id:
            values = _snapshot(matched)
            values.update({c["field"]: _raw(History, c["field"], c["before"]) for c in event.changes})
            History.objects.create(
                id=event.client_id,
                history_date=matched.history_date - datetime.timedelta(microseconds=1),
                history_type="~",
                history_user_id=None,
                history_change_reason=BEFORE_REASON,
                **values,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0009_returnnotice_outcome_review"),
    ]

    # Backwards: 0011's reverse brings ClientEvent back empty; the history keeps what was copied.
    operations = [migrations.RunPython(_copy, migrations.RunPython.noop)]
