"""Django settings for kefu. Environment is read in config/env.py only."""

from __future__ import annotations

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config import env

BASE_DIR = env.BASE_DIR
DATA_DIR = env.DATA_DIR

SECRET_KEY = env.secret_key()
DEBUG = env.env_bool("DEBUG", False)
ALLOWED_HOSTS = env.env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "ninja",
    # kefu's apps in layer order (docs/ARCHITECTURE.md): an app imports only the apps above it
    # here (kefu/tests/test_architecture.py), and finds the ones below by name.
    "kefu.core",
    "kefu.orgs",
    "kefu.customers",
    "kefu.notifications",
    "kefu.imports",
    "kefu.tickets",
    "kefu.parcels",
    "kefu.web",
    "kefu.api",
    "kefu.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kefu.web.context_processors.kefu",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(env.database_url(), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with write transactions queued in order instead of sleeping in
    # SQLite's busy handler (kefu/core/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "kefu.core.sqlite"
    # WAL lets the web process read while the background jobs write.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
    # Each thread keeps its connection (as on PostgreSQL): opening one per request
    # re-reads the schema and runs the pragmas, and closing the last one checkpoints
    # the WAL — more CPU than the request's own queries.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "orgs.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "kefu" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it; collectstatic fills it
MEDIA_ROOT = DATA_DIR / "media"
# Attachments are never served from MEDIA_URL: a view checks permission first.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Uploads: attachments and import files.
KEFU_MAX_ATTACHMENT_BYTES = env.env_int("KEFU_MAX_ATTACHMENT_MB", 10) * 1024 * 1024
KEFU_MAX_IMPORT_BYTES = env.env_int("KEFU_MAX_IMPORT_MB", 50) * 1024 * 1024
# Scan exports are large: a day of a big point is millions of rows.
KEFU_MAX_SCAN_IMPORT_BYTES = env.env_int("KEFU_MAX_SCAN_IMPORT_MB", 2048) * 1024 * 1024
# Scan files from this size up are parsed in a process of their own (on the other core).
KEFU_SCAN_PARSE_PROCESS_BYTES = env.env_int("KEFU_SCAN_PARSE_PROCESS_KB", 4096) * 1024
# Such a file, when it is a CSV of one line per row, is read a column at a time (kefu/parcels/ingest/columnar.py).
KEFU_SCAN_COLUMNAR = env.env_bool("KEFU_SCAN_COLUMNAR", True)
# PostgreSQL: a full warning sweep marks misses on a second connection while it raises warnings.
KEFU_SWEEP_OVERLAP = env.env_bool("KEFU_SWEEP_OVERLAP", True)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Background jobs: embedded (a thread in the server process) unless a broker is given.
CELERY_BROKER_URL = env.env_str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env.env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = not CELERY_RESULT_BACKEND
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
KEFU_EMBEDDED_JOBS = env.env_bool("KEFU_EMBEDDED_JOBS", not CELERY_BROKER_URL)
# The Celery app, by name: kefu's code sends tasks through it without importing config.
KEFU_CELERY_APP = "config.celery.app"

EMAIL_BACKEND = env.env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# Notifications: how long delivered and given-up outbox rows and read notices are kept (days).
KEFU_OUTBOX_SENT_RETENTION_DAYS = env.env_int("KEFU_OUTBOX_SENT_RETENTION_DAYS", 30)
KEFU_OUTBOX_DEAD_RETENTION_DAYS = env.env_int("KEFU_OUTBOX_DEAD_RETENTION_DAYS", 90)
KEFU_READ_NOTIFICATION_RETENTION_DAYS = env.env_int("KEFU_READ_NOTIFICATION_RETENTION_DAYS", 180)
# Webhooks (kefu/notifications/channels.py): https to the robots' own hosts only, never an internal address.
KEFU_WEBHOOK_ALLOW_HTTP = env.env_bool("KEFU_WEBHOOK_ALLOW_HTTP", False)
KEFU_WEBHOOK_ALLOW_ANY_HOST = env.env_bool("KEFU_WEBHOOK_ALLOW_ANY_HOST", False)
KEFU_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.env_bool("KEFU_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
