"""Background work of the debts app, run by `manage.py db_worker`."""

from django.conf import settings
from django.utils.module_loading import import_string
from django_tasks import task


@task()
def import_batch_run(batch_id: int) -> str:
    """Run a queued import outside the web request (large files), then queue the tasks that
    follow every import (settings.DEBTS_AFTER_IMPORT_TASKS: Chorus Pro's detection of public
    bodies). Named in the settings, not imported: choruspro depends on debts, never the reverse."""
    from debts.models import ImportBatch
    from debts.services.imports import debts_import

    batch = debts_import(batch=ImportBatch.objects.select_related("client").get(pk=batch_id))
    if batch.imported and not batch.dry_run:
        for path in settings.DEBTS_AFTER_IMPORT_TASKS:
            import_string(path).enqueue()
    return batch.state
