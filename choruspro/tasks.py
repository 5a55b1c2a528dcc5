"""Chorus Pro's background work, run by `manage.py db_worker` (django-tasks).

django-tasks has no scheduler: production runs `manage.py choruspro poll` from cron or a
systemd timer; in development each submitted invoice re-enqueues its own follow-up with
``run_after`` (CHORUS_FOLLOW_UP_SECONDS).

As in the HackSoft styleguide, services import these tasks at the top and each task imports
its service inside the function: the arrow between the two modules goes one way.
"""

from django_tasks import task


@task()
def invoice_submit_task(invoice_id: int) -> str:
    """One invoice: PDF, deposer/pdf, soumettre. Its failure is recorded on it, not raised."""
    from choruspro.services import invoices

    return invoices.invoice_submit(invoice_id=invoice_id).state


@task()
def invoice_follow_task(invoice_id: int) -> str:
    from choruspro.services import follow_up

    return follow_up.invoice_follow(invoice_id=invoice_id)


@task()
def invoices_poll_task() -> dict:
    from choruspro.services import follow_up

    report = follow_up.invoices_poll()
    return {
        "polled": report.polled,
        "new_statuses": report.new_statuses,
        "errors": len(report.errors),
        "sendings_retried": report.sendings_retried,
        "sendings_failed": report.sendings_failed,
    }


@task()
def public_bodies_detect_task() -> int:
    from choruspro.services.public_bodies import public_bodies_detect

    return public_bodies_detect()
