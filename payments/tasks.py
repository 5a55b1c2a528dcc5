"""Tasks of the money side, for `manage.py db_worker`."""

from django_tasks import task


@task()
def returns_replay_task() -> dict[str, int]:
    """`manage.py returns_replay` in the task worker. The worker must run on the machine whose
    spool it is (docs/deployment.md): elsewhere it finds no file, harmlessly, and the timer of
    the web machine does the work."""
    from payments.returns.replay import notices_replay

    return notices_replay()


@task()
def payfip_check_task(transaction_id: int, trigger: str, message_id: int | None = None) -> str:
    """Ask PayFiP about a web-service transaction (after a notification, a redirect, a staff request)."""
    from payments.services.payfip_checks import payfip_transaction_check

    return payfip_transaction_check(transaction_id=transaction_id, trigger=trigger, message_id=message_id).outcome


@task()
def payment_confirmation_send_task(transaction_id: int) -> bool:
    """The portal's confirmation e-mail of a paid attempt (queued once its result is committed)."""
    from payments.services.confirmations import payment_confirmation_send

    return payment_confirmation_send(transaction_id=transaction_id)
