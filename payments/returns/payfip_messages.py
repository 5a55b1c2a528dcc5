"""PayFiP's notification (urlnotif) and the user's return (urlredirect) in the web-service mode.

Each call is stored raw first (committed on its own), then a check of the operation is queued
for the task worker: at most one queued per transaction, however many messages arrive. Nothing
here changes a transaction: its result only ever comes from PayFiP's own answer to the portal's
question (payments.services.payfip_checks). A message without an idOp the portal created is
kept, within the per-address budget of the return endpoint, and changes nothing.

The notification is a hot path (bench/payfip_notify.py): its statements are written out, as
the return endpoint's are (payments.returns.queries).
"""

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.db import connection
from django.utils import timezone

from payments.models import PayfipMessage, Transaction
from payments.returns.notices import junk_budget_allows
from payments.services.transaction_rows import sql_column, sql_table
from payments.tasks import payfip_check_task

# A notification carries the idOp alone (36 characters): nothing longer is read or kept.
BODY_LIMIT = 2048
QUERY_LIMIT = 2048
_IDOP_RE = re.compile(r"[A-Za-z0-9-]{1,64}")
_MAX_FIELDS = 20
# A check queued this long ago and not started is taken as lost (worker restarted): queue another.
QUEUED_STALE_AFTER = datetime.timedelta(minutes=10)
_BUDGET_SCOPE = "payfip-message-junk"

_MESSAGE = PayfipMessage._meta
_TRANSACTION = Transaction._meta


@dataclass(frozen=True)
class StoredMessage:
    id: int
    outcome: str
    transaction_id: int | None


def idop_from_request(*, body: bytes, query_string: str) -> str:
    """The idOp of a call, its name matched case-insensitively (PayFiP spells it `idop` or
    `idOp`), in the form body first, then the query string; "" when there is none that could be one."""
    for source in (body, query_string.encode("latin-1", errors="replace")):
        try:
            fields = parse_qsl(source.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FIELDS)
        except (UnicodeDecodeError, ValueError):
            continue
        for name, value in fields:
            if name.strip().lower() == "idop" and _IDOP_RE.fullmatch(value.strip()):
                return value.strip()
    return ""


def _insert(values: dict, *, idop: str, unmatched: str) -> tuple[int, int | None]:
    """INSERT the message with its transaction (the one of this idOp, if any) and its outcome, in
    one statement (autocommit: committed on its own); its id and the transaction's."""
    transaction_column = sql_column(_MESSAGE, "transaction")
    columns = ", ".join(
        [*(sql_column(_MESSAGE, name) for name in values), transaction_column, sql_column(_MESSAGE, "outcome")]
    )
    placeholders = ", ".join(["%s"] * len(values))
    found = sql_column(_TRANSACTION, "id")
    sql = (
        f"INSERT INTO {sql_table(_MESSAGE)} ({columns}) "
        f"SELECT {placeholders}, t.{found}, CASE WHEN t.{found} IS NULL THEN %s ELSE %s END "
        f"FROM (SELECT 1 AS one) AS one LEFT JOIN {sql_table(_TRANSACTION)} AS t "
        f"ON t.{sql_column(_TRANSACTION, 'idop')} = %s "
        f"RETURNING {sql_column(_MESSAGE, 'id')}, {transaction_column}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values.values(), unmatched, PayfipMessage.Outcome.CHECK.value, idop])
        return tuple(cursor.fetchone())


def _delete(message_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {sql_table(_MESSAGE)} WHERE {sql_column(_MESSAGE, 'id')} = %s", [message_id])


def payfip_message_record(
    *,
    kind: str,
    method: str,
    body: bytes,
    query_string: str,
    content_type: str,
    headers: Mapping[str, str],
    remote_addr: str | None,
) -> StoredMessage | None:
    """Store the raw call (autocommit: committed on its own) and say what it may trigger.

    A call without a known idOp counts against its address's budget (RETURNS_JUNK_BUDGET, as
    the return endpoint's junk; never the DGFiP's addresses): past it, it is only counted, and
    None is returned.
    """
    idop = idop_from_request(body=body, query_string=query_string)
    unmatched = PayfipMessage.Outcome.UNKNOWN if idop else PayfipMessage.Outcome.NO_IDOP
    message_id, transaction_id = _insert(
        {
            "received_at": connection.ops.adapt_datetimefield_value(timezone.now()),
            "kind": kind,
            "method": method[:8],
            "body": body[:BODY_LIMIT],
            "query_string": query_string[:QUERY_LIMIT],
            "content_type": content_type[:200],
            "headers": json.dumps(dict(headers)),
            "remote_addr": remote_addr or None,
            "idop": idop,
        },
        idop=idop,
        unmatched=unmatched.value,
    )
    if transaction_id is not None:
        return StoredMessage(message_id, PayfipMessage.Outcome.CHECK, transaction_id)
    # Junk (no idOp of the portal): counted after the fact, so that PayFiP's own message costs
    # one statement; past the budget it is taken back out, only counted.
    if not junk_budget_allows(remote_addr or None, scope=_BUDGET_SCOPE):
        _delete(message_id)
        return None
    return StoredMessage(message_id, unmatched, None)


def payfip_check_request(*, transaction_id: int, trigger: str, message_id: int | None = None) -> bool:
    """Queue a check of this transaction unless one is queued already; True when queued.

    Two autocommitted statements, no transaction around them (fewer round trips on the hot
    path): the mark, then the task. Were the task lost after the mark, the mark goes stale after
    QUEUED_STALE_AFTER and the poller checks the transaction on its schedule anyway.
    """
    now = timezone.now()
    queued = sql_column(_TRANSACTION, "payfip_check_queued_at")
    sql = (
        f"UPDATE {sql_table(_TRANSACTION)} SET {queued} = %s "
        f"WHERE {sql_column(_TRANSACTION, 'id')} = %s AND ({queued} IS NULL OR {queued} < %s)"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(now), transaction_id, adapt(now - QUEUED_STALE_AFTER)])
        if cursor.rowcount != 1:
            return False
    payfip_check_task.enqueue(transaction_id, trigger, message_id)
    return True
