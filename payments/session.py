"""The payment attempts a browser session may follow: the pages and views that start a payment
remember its public id here; the status pages answer only the ids of their own session.

The public id, never the OBJET token: the session is stored server-side, and the token is the
one value that lets a return be applied (issue 13, item 10).
"""

from django.http import HttpRequest

from payments.models import Transaction

# A new key: lists kept under the former one ("tipi_tokens") held tokens, not public ids.
SESSION_ATTEMPTS = "tipi_attempts"
REMEMBERED = 20  # the most recent attempts of a session; older pages stop answering


def transaction_remember(request: HttpRequest, transaction: Transaction) -> None:
    """Anonymous payers see only the attempts started in their own session."""
    public_ids = request.session.get(SESSION_ATTEMPTS, [])[-(REMEMBERED - 1) :]
    request.session[SESSION_ATTEMPTS] = [*public_ids, transaction.public_id]


def transaction_remembered(request: HttpRequest, public_id: str) -> bool:
    return public_id in request.session.get(SESSION_ATTEMPTS, [])


def transaction_public_ids(request: HttpRequest) -> list[str]:
    """The attempts this session started: the only anonymous ones its next attempt supersedes."""
    return list(request.session.get(SESSION_ATTEMPTS, []))
