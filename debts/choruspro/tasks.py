"""Chorus Pro's background work, run by `manage.py db_worker` (django-tasks).

django-tasks has no scheduler: production runs `manage.py choruspro poll` from cron or a
systemd timer; in development each submitted invoice re-enqueues its own follow-up with
``run_after`` (CHORUS_FOLLOW_UP_SECONDS).
"""

from django_tasks import task

from debts.choruspro import services


@task()
def invoice_submit_task(invoice_id: int) -> str:
    """One invoice: PDF, deposer/pdf, soumettre. Its failure is recorded on it, not raised."""
    return services.invoice_submit(invoice_id=invoice_id).state


@task()
def invoice_follow_task(invoice_id: int) -> str:
    return services.invoice_follow(invoice_id=invoice_id)


@task()
def invoices_poll_task() -> dict:
    report = services.invoices_poll()
    return {"polled": report.polled, "new_statuses": report.new_statuses, "errors": len(report.errors)}


@task()
def public_bodies_detect_task() -> int:
    return services.public_bodies_detect()
