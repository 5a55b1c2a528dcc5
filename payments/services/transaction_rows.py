"""A transaction's row as the result logic reads and writes it, statements written out.

The classic return endpoint is the hot path (see payments/returns/queries.py): the ORM's query
building would cost ten times the database's own work. Table and column names come from the models.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from payments.models import Transaction

_TRANSACTION = Transaction._meta


def sql_column(meta, name: str) -> str:
    """The quoted column of a model field, for statements written out."""
    return connection.ops.quote_name(meta.get_field(name).column)


def sql_table(meta) -> str:
    """The quoted table of a model, for statements written out."""
    return connection.ops.quote_name(meta.db_table)


def json_value(value) -> Any:
    """A JSON column as read by a raw cursor: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


@dataclass
class LockedTransaction:
    """The columns the result logic needs, read with the row locked."""

    id: int
    client_id: int
    debt_id: int | None
    saisie: str
    state: str
    resultrans: str
    numauto: str
    params: dict
    flags: list


_LOCKED_COLUMNS = ["id", "client", "debt", "saisie", "state", "resultrans", "numauto", "params", "flags"]


def _lock_where(field: str, value) -> LockedTransaction | None:
    columns = ", ".join(sql_column(_TRANSACTION, name) for name in _LOCKED_COLUMNS)
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT {columns} FROM {sql_table(_TRANSACTION)} WHERE {sql_column(_TRANSACTION, field)} = %s{for_update}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        row = cursor.fetchone()
    if row is None:
        return None
    return LockedTransaction(*row[:7], params=json_value(row[7]), flags=json_value(row[8]))


def transaction_lock(token: str) -> LockedTransaction | None:
    """SELECT … FOR UPDATE the transaction of this OBJET token (inside the caller's transaction)."""
    return _lock_where("token", token)


def transaction_lock_by_id(transaction_id: int) -> LockedTransaction | None:
    """SELECT … FOR UPDATE a transaction by its id (inside the caller's transaction)."""
    return _lock_where("id", transaction_id)


def transaction_settle(transaction: LockedTransaction, *, state: str, resultrans: str, numauto: str, dattrans) -> None:
    """UPDATE the locked transaction with its result (state, codes, date, flags)."""
    values = {
        "state": state,
        "resultrans": resultrans,
        "numauto": numauto,
        "dattrans": connection.ops.adapt_datefield_value(dattrans),
        "settled_at": connection.ops.adapt_datetimefield_value(timezone.now()),
        "flags": json.dumps(transaction.flags),
    }
    assignments = ", ".join(f"{sql_column(_TRANSACTION, name)} = %s" for name in values)
    sql = f"UPDATE {sql_table(_TRANSACTION)} SET {assignments} WHERE {sql_column(_TRANSACTION, 'id')} = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values.values(), transaction.id])
