"""Background work of the debts app, run by `manage.py db_worker`."""

from django_tasks import task

from debts.imports import debts_import
from debts.models import ImportBatch


@task()
def import_batch_run(batch_id: int) -> str:
    """Run a queued import outside the web request (large files)."""
    batch = debts_import(batch=ImportBatch.objects.select_related("client").get(pk=batch_id))
    if batch.imported and not batch.dry_run:
        # Public bodies among the new debtors go to Chorus Pro, not to card payment.
        from debts.choruspro.tasks import public_bodies_detect_task

        public_bodies_detect_task.enqueue()
    return batch.state
