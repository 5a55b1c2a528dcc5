import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


class TipiportalConfig(AppConfig):
    """The project itself, as an app: project-wide commands (demo_data, staff_user, staff_otp_reset),
    the atomic rate counters (RateCounter) and the deploy checks (tipiportal.checks)."""

    name = "tipiportal"
    verbose_name = "Portail TIPI"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from tipiportal import checks  # registers the deploy checks
        from tipiportal.search import sqlite_functions_install

        # A database function, not domain flow: SQLite's connections get the unaccent of PostgreSQL.
        connection_created.connect(sqlite_functions_install, dispatch_uid="tipiportal.search")

        # gunicorn runs no checks: what `check --deploy` refuses is said at every start too.
        for problem in [*checks.return_source_problems(), *checks.portal_url_problems()]:
            logger.error("%s: %s %s", problem.id, problem.msg, problem.hint)
