"""The project's own settings (from the environment, as in production) plus two baseline URLs.

Only ROOT_URLCONF differs, so the return endpoint and the baselines run under the same
gunicorn command, the same middleware and the same database settings.
"""

from tipiportal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
