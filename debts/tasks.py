"""Background work of the debts app, run by `manage.py db_worker`."""

from django_tasks import task

from debts.imports import debts_import
from debts.models import ImportBatch


@task()
def import_batch_run(batch_id: int) -> str:
    """Run a queued import outside the web request (large files)."""
    batch = debts_import(batch=ImportBatch.objects.select_related("client").get(pk=batch_id))
    return batch.state
