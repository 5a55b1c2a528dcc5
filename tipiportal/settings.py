"""Settings of the TIPI portal, all from the environment (django-environ).

Development defaults are safe: DEBUG is off unless asked for, and then SQLite and the
built-in TIPI sandbox are used. Production (DEBUG off) refuses to start without SECRET_KEY or
EMAIL_URL, or with a sandbox; tipiportal/checks.py adds what `check --deploy` refuses.
"""

import os
import tempfile
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from tipiportal.branding import authority_colour_problem

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (DEBUG off).")
    SECRET_KEY = "development-only-insecure-key"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- TIPI -------------------------------------------------------------------------
# The sandbox plays TIPI's part (controls, card page, POST back). Never on in production.
TIPI_SANDBOX = env.bool("TIPI_SANDBOX", default=False)
# The RESULTRANS the sandbox's "moyen de paiement futur" button emits: PayFiP announces new means
# of payment without their codes, and the portal must keep such a result for staff, not guess.
TIPI_SANDBOX_UNKNOWN_RESULTRANS = env.str("TIPI_SANDBOX_UNKNOWN_RESULTRANS", default="U")
if not (
    len(TIPI_SANDBOX_UNKNOWN_RESULTRANS) == 1
    and "A" <= TIPI_SANDBOX_UNKNOWN_RESULTRANS <= "Z"
    and TIPI_SANDBOX_UNKNOWN_RESULTRANS not in "PRAVZ"
):
    raise ImproperlyConfigured("TIPI_SANDBOX_UNKNOWN_RESULTRANS: one capital letter other than P, R, A, V, Z.")
# URLCL (TIPI's return address) is built from it. Development defaults to the local server; production
# has no default: `check --deploy` refuses it missing, private or on a port other than 80/443.
PORTAL_PUBLIC_URL = env.str("PORTAL_PUBLIC_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
# Only the base URL differs between the sandbox and the real service.
TIPI_BASE_URL = env.str(
    "TIPI_BASE_URL", default=PORTAL_PUBLIC_URL if TIPI_SANDBOX else "https://www.payfip.gouv.fr"
).rstrip("/")
# PayFiP's web-service mode (SAISIE W): its SOAP service, its payment page (…?idop=), and the
# timeout of one SOAP call in seconds (payments.payfip.PayfipClient). Same host as TIPI_BASE_URL.
PAYFIP_SERVICE_URL = env.str("PAYFIP_SERVICE_URL", default=TIPI_BASE_URL + "/tpa/services/securite")
PAYFIP_WS_PAYMENT_URL = env.str("PAYFIP_WS_PAYMENT_URL", default=TIPI_BASE_URL + "/tpa/paiementws.web")
PAYFIP_TIMEOUT = env.int("PAYFIP_TIMEOUT", default=15)
# Sandbox only: when it POSTs the idOp to urlnotif after a result (immediate, delayed, twice =
# at once and after the delay, never), the delay in seconds, and the code of the "moyen futur"
# button (a means of payment PayFiP may add, whose RESULTRANS the portal does not know).
PAYFIP_SANDBOX_NOTIFY = env.str("PAYFIP_SANDBOX_NOTIFY", default="immediate")
PAYFIP_SANDBOX_NOTIFY_DELAY = env.int("PAYFIP_SANDBOX_NOTIFY_DELAY", default=120)
PAYFIP_SANDBOX_FUTURE_CODE = env.str("PAYFIP_SANDBOX_FUTURE_CODE", default="F")
# Source addresses allowed to POST returns: DGFiP's outgoing addresses, as DGFiP gives them
# (docs/deployment.md), addresses or networks (CIDR). Empty means any source, which production
# refuses (`check --deploy`, and a message at start): whoever starts a payment sees every field
# TIPI echoes, OBJET included, and could post a "P" for it. Unless the risk is accepted below.
TIPI_RETURN_ALLOWED_IPS = env.list("TIPI_RETURN_ALLOWED_IPS", default=[])
TIPI_RETURN_ACCEPT_ANY_SOURCE = env.bool("TIPI_RETURN_ACCEPT_ANY_SOURCE", default=False)
# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed; nobody else's.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Public forms are rate-limited per client address (tipiportal.network.client_ip, behind the
# proxies too), counted atomically in the database; never the return endpoint (it would lose
# notices), which only bounds what strangers make it keep (RETURNS_JUNK_BUDGET below).
RATE_LIMIT_MANUAL_FORM = env.str("RATE_LIMIT_MANUAL_FORM", default="30/h")
RATE_LIMIT_REFERENCE_LINK = env.str("RATE_LIMIT_REFERENCE_LINK", default="30/h")
# E-mail addresses in transactions and return notices are erased after this many days.
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=400)
# Refused and malformed return notices from an address not known as TIPI's (not in a non-empty
# TIPI_RETURN_ALLOWED_IPS): stored up to this many per address (an IPv6 /64 counts as one),
# past it only counted; deleted after RETURNS_JUNK_RETENTION_DAYS (`manage.py purge_personal_data`).
# Generous, so that a confused integration is still fully recorded; TIPI's addresses are never limited.
RETURNS_JUNK_BUDGET = env.str("RETURNS_JUNK_BUDGET", default="200/h")
RETURNS_JUNK_RETENTION_DAYS = env.int("RETURNS_JUNK_RETENTION_DAYS", default=30)
# A pending transaction with no answer after this long is shown to staff as "sans réponse".
TIPI_NO_ANSWER_AFTER_MINUTES = env.int("TIPI_NO_ANSWER_AFTER_MINUTES", default=60)
# The payment page stops waiting for TIPI's answer after this long, says so and offers to start again.
PAYMENT_GIVE_UP_MINUTES = env.int("PAYMENT_GIVE_UP_MINUTES", default=30)
# Where uploaded debt files wait for the import worker (shared by web and worker machines).
IMPORTS_DIR = env.path("IMPORTS_DIR", default=BASE_DIR / "var" / "imports")
# A copy left there (a dry run never confirmed, or failed) is deleted after this many days by the
# daily `manage.py purge_import_files`; a queued or running import keeps its file.
IMPORT_FILES_RETENTION_DAYS = env.int("IMPORT_FILES_RETENTION_DAYS", default=7)
# Return notices the database could not take wait here (local disk, one file per web process)
# until `manage.py returns_replay` stores them: see payments/returns/spool.py.
RETURNS_SPOOL_DIR = env.path("RETURNS_SPOOL_DIR", default=BASE_DIR / "var" / "returns-spool")

# --- The authority that runs the site (header, footer, legal pages, e-mails) -----------------
# The demo's values by default: a real authority sets its own (README's settings table).
AUTHORITY_NAME = env.str("AUTHORITY_NAME", default="Commune de Démo")
AUTHORITY_ADDRESS = env.str("AUTHORITY_ADDRESS", default="1 place de la Mairie, 99999 Démo-sur-Loire")
AUTHORITY_PHONE = env.str("AUTHORITY_PHONE", default="01 23 45 67 89")
AUTHORITY_EMAIL = env.str("AUTHORITY_EMAIL", default="contact@mairie-demo.example")
AUTHORITY_WEBSITE = env.str("AUTHORITY_WEBSITE", default="https://www.mairie-demo.example")
# A static file's path (collected with the site's own), or empty for no logo.
AUTHORITY_LOGO = env.str("AUTHORITY_LOGO", default="img/logo-demo.svg")
# The accent colour (#rrggbb), white text on it: refused under 4.5:1 against white (RGAA).
AUTHORITY_COLOR = env.str("AUTHORITY_COLOR", default="#000091")
if _colour_problem := authority_colour_problem(AUTHORITY_COLOR):
    raise ImproperlyConfigured(_colour_problem)
AUTHORITY_PUBLICATION_DIRECTOR = env.str("AUTHORITY_PUBLICATION_DIRECTOR", default="Le maire de la Commune de Démo")
AUTHORITY_HOSTING = env.str(
    "AUTHORITY_HOSTING", default="Commune de Démo, service informatique, 1 place de la Mairie, 99999 Démo-sur-Loire"
)
AUTHORITY_DPO_EMAIL = env.str("AUTHORITY_DPO_EMAIL", default="dpo@mairie-demo.example")
# The accessibility statement (RGAA 4.1): "totalement", "partiellement" or "non" conforme. Without
# an audit the law says "non": say who audited and when in ACCESSIBILITY_AUDIT before changing it.
ACCESSIBILITY_CONFORMITY = env.str("ACCESSIBILITY_CONFORMITY", default="non")
if ACCESSIBILITY_CONFORMITY not in ("totalement", "partiellement", "non"):
    raise ImproperlyConfigured("ACCESSIBILITY_CONFORMITY is totalement, partiellement or non.")
ACCESSIBILITY_AUDIT = env.str("ACCESSIBILITY_AUDIT", default="")
# What is known not to be accessible, one item per "|" (French sentences have commas).
ACCESSIBILITY_NON_COMPLIANT = [
    item.strip()
    for item in env.str(
        "ACCESSIBILITY_NON_COMPLIANT",
        default="La page de paiement par carte bancaire est celle de la DGFiP (TIPI) : son accessibilité "
        "relève de la DGFiP, pas de la collectivité.|Le paiement s'ouvre dans une nouvelle fenêtre ; si votre "
        "navigateur la bloque, un lien ouvre la même page.",
    ).split("|")
    if item.strip()
]
ACCESSIBILITY_CONTACT = env.str("ACCESSIBILITY_CONTACT", default="")  # AUTHORITY_EMAIL when empty
ACCESSIBILITY_STATEMENT_DATE = env.str("ACCESSIBILITY_STATEMENT_DATE", default="7 décembre 2026")

# --- Chorus Pro (invoices to public bodies, through PISTE) ----------------------------------
# The sandbox plays PISTE and Chorus Pro (both environments) at /chorus-sandbox/, reached over
# HTTP like the real ones: only the base URLs differ. On with the TIPI sandbox; never in production.
CHORUS_SANDBOX = env.bool("CHORUS_SANDBOX", default=TIPI_SANDBOX)
# A sandbox "pays" with a test card and posts returns: production must never route one.
for _sandbox, _on in (("TIPI_SANDBOX", TIPI_SANDBOX), ("CHORUS_SANDBOX", CHORUS_SANDBOX)):
    if _on and not DEBUG:
        raise ImproperlyConfigured(f"{_sandbox} must be off in production (DEBUG off): it fakes the real service.")
# Queued after every confirmed debt import (dotted paths of tasks taking no argument): public
# bodies among the new debtors go to Chorus Pro, not to card payment.
DEBTS_AFTER_IMPORT_TASKS = ["choruspro.tasks.public_bodies_detect_task"]
_CHORUS_SANDBOX_ROOT = f"{PORTAL_PUBLIC_URL}/chorus-sandbox"
_CHORUS_REAL_URLS = {
    "qualification": ("https://sandbox-oauth.piste.gouv.fr", "https://sandbox-api.piste.gouv.fr"),
    "production": ("https://oauth.piste.gouv.fr", "https://api.piste.gouv.fr"),
}
# Demo credentials the sandbox knows (not secrets: they open nothing but the sandbox).
_CHORUS_SANDBOX_CREDENTIALS = {
    "qualification": ("piste-qualif-demo", "secret-qualif-demo", "TECH_QUALIF_DEMO@cpro.fr", "Qualif-Demo-2026!"),
    "production": ("piste-prod-demo", "secret-prod-demo", "TECH_PROD_DEMO@cpro.fr", "Prod-Demo-2026!"),
}
CHORUS_URLS = {}
CHORUS_CREDENTIALS = {}
for _env_name, (_oauth, _api) in _CHORUS_REAL_URLS.items():
    _prefix = f"CHORUS_{_env_name.upper()}_"
    if CHORUS_SANDBOX:
        _oauth, _api = f"{_CHORUS_SANDBOX_ROOT}/{_env_name}/oauth", f"{_CHORUS_SANDBOX_ROOT}/{_env_name}/api"
    CHORUS_URLS[_env_name] = {
        # Token at <oauth>/api/oauth/token, calls at <api>/cpro/…
        "oauth": env.str(_prefix + "OAUTH_URL", default=_oauth).rstrip("/"),
        "api": env.str(_prefix + "API_URL", default=_api).rstrip("/"),
    }
    _demo = _CHORUS_SANDBOX_CREDENTIALS[_env_name] if CHORUS_SANDBOX else ("", "", "", "")
    # Secrets come from the environment only: never stored in the database, never shown back.
    CHORUS_CREDENTIALS[_env_name] = {
        "client_id": env.str(_prefix + "CLIENT_ID", default=_demo[0]),
        "client_secret": env.str(_prefix + "CLIENT_SECRET", default=_demo[1]),
        "login": env.str(_prefix + "LOGIN", default=_demo[2]),
        "password": env.str(_prefix + "PASSWORD", default=_demo[3]),
    }
# HTTP: (connect, read) timeouts in seconds, retries (5xx and network errors only) and back-off factor.
CHORUS_HTTP_TIMEOUT = (env.float("CHORUS_CONNECT_TIMEOUT", default=5.0), env.float("CHORUS_READ_TIMEOUT", default=30.0))
CHORUS_HTTP_RETRIES = env.int("CHORUS_HTTP_RETRIES", default=3)
CHORUS_HTTP_BACKOFF = env.float("CHORUS_HTTP_BACKOFF", default=0.5)
# Invoices not yet final are polled by `manage.py choruspro poll` (cron / systemd timer). With a
# positive interval, each submitted invoice also re-enqueues its own follow-up in the task queue
# (development: the sandbox moves fast; production: leave 0 and use the timer).
CHORUS_FOLLOW_UP_SECONDS = env.int("CHORUS_FOLLOW_UP_SECONDS", default=20 if CHORUS_SANDBOX else 0)
# Warn this many days before the technical password expires or the client secret is due (3 months).
CHORUS_RENEWAL_WARNING_DAYS = env.int("CHORUS_RENEWAL_WARNING_DAYS", default=21)
# Sandbox only: a token's lifetime, and the time between two automatic status steps of an invoice.
CHORUS_SANDBOX_TOKEN_SECONDS = env.int("CHORUS_SANDBOX_TOKEN_SECONDS", default=3600)
CHORUS_SANDBOX_STEP_SECONDS = env.int("CHORUS_SANDBOX_STEP_SECONDS", default=30)

INSTALLED_APPS = [
    # The Django admin, whose login is the staff login with its second factor (staff.auth).
    "staff.auth.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "allauth",
    "allauth.account",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    "simple_history",
    "tipiportal",  # project-wide commands, rate counters, deploy checks
    "payments",
    "debts",
    "accounts",
    "choruspro",
    "staff",
]
if TIPI_SANDBOX:
    INSTALLED_APPS.append("payments.sandbox")
if CHORUS_SANDBOX:
    INSTALLED_APPS.append("choruspro.sandbox")

MIDDLEWARE = [
    "tipiportal.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the second factor passed in this session (staff).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Who made a change, for the audit trail of debts and TIPI clients (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tipiportal.urls"
WSGI_APPLICATION = "tipiportal.wsgi.application"

# Templates are compiled once per process (cached.Loader), which Django 5.2 also does when
# "loaders" is unset, DEBUG or not (django/template/engine.py): said here so that adding a loader
# cannot drop it in production. In development runserver's autoreloader empties the cache when a
# template changes (django/template/autoreload.py). "loaders" replaces APP_DIRS (they exclude each other).
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    ["django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"],
                ),
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tipiportal.authority.authority_context",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads write (the live server, the sandbox's POST back): wait, don't fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # A file, not memory, so that the browser tests' server threads share the test database
    # (one per process, so that two test runs on one machine do not collide).
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"tipiportal-test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database that is down or unreachable must fail fast (the return endpoint then spools
    # the notice), not hold a web worker for the system's TCP timeout (minutes).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
# A cache shared by every process (allauth's rate limits): the database by default.
CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://portal_cache")}

# Background work (large imports) goes through a database-backed queue: any number of
# `manage.py db_worker` processes, on any machine, drain it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Citizens sign up and log in with their e-mail address (django-allauth), which they confirm.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:debts"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{AUTHORITY_NAME}] "
# Failed logins and other sensitive actions are throttled (per address and per account),
# counted in the shared cache so that every web process sees the same counts.
ACCOUNT_RATE_LIMITS = {"login_failed": "5/15m/ip,5/15m/key", "signup": "20/h/ip", "reset_password": "5/h/ip,3/h/key"}
# allauth's per-address limits count the client's address behind the proxies (TRUSTED_PROXIES),
# not REMOTE_ADDR (the proxy's own, the same for every citizen).
ACCOUNT_ADAPTER = "tipiportal.network.AccountAdapter"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Staff log in at /gestion/admin/login/ (staff.auth; the Django admin's login too). Failures are
# counted per account and per client address in this window (atomic counters, tipiportal.network):
# past the limit even the right password waits.
STAFF_LOGIN_FAILURES_PER_ACCOUNT = env.int("STAFF_LOGIN_FAILURES_PER_ACCOUNT", default=5)
STAFF_LOGIN_FAILURES_PER_ADDRESS = env.int("STAFF_LOGIN_FAILURES_PER_ADDRESS", default=20)
STAFF_LOGIN_FAILURE_WINDOW = env.str("STAFF_LOGIN_FAILURE_WINDOW", default="15m")
# TOTP second factor (django-otp): staff who enrolled always use it; administrators must enrol and
# use it when this is on: by default in production, off in development and tests (demo logins).
STAFF_OTP_REQUIRED = env.bool("STAFF_OTP_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Paiement en ligne - gestion")
# Wrong codes are counted like passwords (STAFF_LOGIN_FAILURES_PER_ACCOUNT); django-otp's own
# back-off would also refuse the right code typed within seconds of a typo.
OTP_TOTP_THROTTLE_FACTOR = 0

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# In development (and tests, where Django forces DEBUG off) whitenoise serves from the apps' folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Production sends real e-mail, or none with dummymail://; never to the console, files or memory,
# where password-reset and confirmation links could be read back (logs, disk).
_EMAIL_URL = env.str("EMAIL_URL", default="")
if not DEBUG:
    if not _EMAIL_URL:
        raise ImproperlyConfigured(
            "EMAIL_URL must be set in production (DEBUG off): smtp+tls://…, or dummymail:// to send no e-mail."
        )
    _scheme = _EMAIL_URL.split("://", 1)[0].lower()
    if _scheme in ("consolemail", "filemail", "memorymail"):
        raise ImproperlyConfigured(
            f"EMAIL_URL {_scheme}:// keeps messages readable on the machine: not in production (DEBUG off)."
        )
EMAIL_CONFIG = env.email_url_config(_EMAIL_URL or "consolemail://")
vars().update(EMAIL_CONFIG)
# Every e-mail (allauth's, the portal's) comes from the authority, by name.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{AUTHORITY_NAME} <ne-pas-repondre@mairie-demo.example>")

# --- Security (production values unless DEBUG) ------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=2 * 3600)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "tipiportal.errors.csrf_failure"
# No inline script or style anywhere: the JavaScript lives in static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# The payment page opens TIPI (another origin) in a pop-up and must keep its handle on it.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin-allow-popups"
# The return endpoint must answer TIPI on plain http too when URLCL is http: never redirect it.
SECURE_REDIRECT_EXEMPT = [r"^tipi/retour/$"]

LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tipiportal.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
