"""The payment attempts a browser session may follow: the pages and views that start a payment
remember its token here; the status pages answer only the tokens of their own session."""

from django.http import HttpRequest

from payments.models import Transaction

SESSION_TOKENS = "tipi_tokens"
REMEMBERED = 20  # the most recent attempts of a session; older pages stop answering


def transaction_remember(request: HttpRequest, transaction: Transaction) -> None:
    """Anonymous payers see only the attempts started in their own session."""
    tokens = request.session.get(SESSION_TOKENS, [])[-(REMEMBERED - 1) :]
    request.session[SESSION_TOKENS] = [*tokens, transaction.token]


def transaction_remembered(request: HttpRequest, token: str) -> bool:
    return token in request.session.get(SESSION_TOKENS, [])


def transaction_tokens(request: HttpRequest) -> list[str]:
    """The attempts this session started: the only anonymous ones its next attempt supersedes."""
    return list(request.session.get(SESSION_TOKENS, []))
