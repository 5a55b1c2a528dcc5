"""The sandbox's background work, run by `manage.py db_worker` (django-tasks)."""

from django_tasks import task


@task()
def payfip_notification_send_task(notification_id: int) -> str:
    """PayFiP's notification of an operation's result to urlnotif, at the time the schedule says."""
    from payments.sandbox.payfip_side import payfip_notification_send

    return payfip_notification_send(notification_id=notification_id)
