"""Loupe settings, driven by environment variables (every one listed in .env.example).

With nothing set, Loupe runs on the embedded default: SQLite and a local object directory under
./data/, Celery tasks executed in-process.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from common.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("LOUPE_DATA_DIR", str(BASE_DIR / "data")))

INSECURE_DEFAULT_SECRET = "loupe-insecure-development-key-change-me"
DEBUG = env_bool("DEBUG", False)
DATABASE_URL = env_str("DATABASE_URL")
# "embedded" is the single-machine default (SQLite, local objects, in-process Celery);
# "production" is what docker-compose runs. Without LOUPE_ENV, a DATABASE_URL means production.
LOUPE_ENV = env_str("LOUPE_ENV", "production" if DATABASE_URL else "embedded")
if LOUPE_ENV not in {"embedded", "production"}:
    raise ImproperlyConfigured(f"LOUPE_ENV must be embedded or production, got {LOUPE_ENV!r}")
PRODUCTION = LOUPE_ENV == "production"


def _embedded_secret_key() -> str:
    """A random key generated once per install and kept beside the data, never a fixed one."""
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY") or (
    INSECURE_DEFAULT_SECRET if PRODUCTION else _embedded_secret_key()
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
if PRODUCTION:
    if SECRET_KEY == INSECURE_DEFAULT_SECRET or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "Refusing to start in production mode with the default or a short SECRET_KEY: "
            "set SECRET_KEY to 32+ random characters."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Refusing to start in production mode with empty ALLOWED_HOSTS.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "loupe",
    "storage",
    "projects",
    "annotate",
    "quality",
    "versioning",
    "pipelines",
    "sources",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "common.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.api.DomainErrorMiddleware",
]

ROOT_URLCONF = "loupe.urls"
WSGI_APPLICATION = "loupe.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    # The saves' hand-written statements (common.prepared.prepared_cursor) are prepared on
    # their first run in each connection; Django's own queries bind on the client and never
    # are. Behind a transaction-mode pooler that keeps no prepared statements (pgbouncer
    # before 1.21, or without max_prepared_statements), set LOUPE_DB_PREPARED_STATEMENTS=0.
    if env_bool("LOUPE_DB_PREPARED_STATEMENTS", True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 0
    # The test suite's Celery worker subprocess must use the test database pytest created.
    if env_str("LOUPE_TEST_DATABASE_NAME"):
        DATABASES["default"]["NAME"] = env_str("LOUPE_TEST_DATABASE_NAME")
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "loupe.sqlite3"),
            # WAL + a busy timeout let the embedded server take concurrent saves without
            # "database is locked"; IMMEDIATE makes write transactions take the lock up front.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_CACHE_URL}
        if REDIS_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [("loupe", BASE_DIR / "frontend")]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "static_collected")))
# Served by WhiteNoise from the source folders too, so tests and `make run` need no collectstatic.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start without it
WHITENOISE_AUTOREFRESH = DEBUG

# --- objects -------------------------------------------------------------------------------
S3_BUCKET = env_str("S3_BUCKET")
S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL")
# Serve images by redirecting to a short-lived signed URL instead of streaming through Django.
S3_REDIRECT = env_bool("S3_REDIRECT", False)
S3_SIGNED_URL_SECONDS = env_int("S3_SIGNED_URL_SECONDS", 300)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "objects")))
if S3_BUCKET:
    _objects = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": S3_ENDPOINT_URL or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "region_name": env_str("S3_REGION", "us-east-1"),
            "location": env_str("S3_PREFIX"),
            "querystring_expire": S3_SIGNED_URL_SECONDS,
            "file_overwrite": True,
            "default_acl": None,
            "addressing_style": env_str("S3_ADDRESSING_STYLE", "path") or None,
            "signature_version": "s3v4",
        },
    }
else:
    _objects = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
STORAGES = {
    "default": _objects,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- uploads -------------------------------------------------------------------------------
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 50 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 100_000_000)
UPLOAD_MAX_FILES = env_int("UPLOAD_MAX_FILES", 500)
ZIP_MAX_BYTES = env_int("ZIP_MAX_BYTES", 1024 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REQUEST_MAX_JSON_BYTES", 20 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES
THUMBNAIL_SIZE = 256

# --- work queue ----------------------------------------------------------------------------
# A claimed item goes back to the queue after this many idle minutes (no open, no save).
LOUPE_LEASE_MINUTES = env_int("LOUPE_LEASE_MINUTES", 30)

# --- celery --------------------------------------------------------------------------------
# No broker means tasks run in-process; the memory transport only keeps Celery from looking for one.
CELERY_TASK_ALWAYS_EAGER = not env_str("CELERY_BROKER_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "loupe")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers reconnect after a broker restart, however long it takes (messages it lost are sent
# again by the recovery tasks: jobs and pipeline units carry their own leases in Postgres).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BEAT_SCHEDULE = {
    # Jobs whose worker died or whose message was lost are sent again (claims prevent doubles).
    "versioning-jobs-recover": {"task": "versioning.jobs_recover", "schedule": 60.0},
    # Pipeline units whose worker died are sent again; runs nobody advanced are advanced.
    "pipelines-recover": {"task": "pipelines.recover", "schedule": 60.0},
    # The default pipeline on each project's latest version (a no-op when nothing changed).
    "pipelines-nightly": {
        "task": "pipelines.nightly",
        "schedule": crontab(hour=env_int("PIPELINES_NIGHTLY_HOUR", 2), minute=0),
    },
}
# Pipeline work units: a worker that holds one longer than this without finishing is presumed
# dead and the unit is claimed again. Batch tasks stop (time limit) before their lease lapses.
PIPELINE_UNIT_LEASE_SECONDS = env_int("PIPELINE_UNIT_LEASE_SECONDS", 300)
PIPELINE_BATCH_SIZE = env_int("PIPELINE_BATCH_SIZE", 50)

# --- REST ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "common.openapi.LoupeAutoSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Loupe API",
    "DESCRIPTION": "Projects, items, images, annotation documents (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- rate limits (per client address and per username, fixed window) -----------------------
LOGIN_RATE_LIMIT = env_int("LOGIN_RATE_LIMIT", 10)
LOGIN_RATE_WINDOW_SECONDS = env_int("LOGIN_RATE_WINDOW_SECONDS", 60)

# --- security ------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Production runs behind TLS: cookies only travel over HTTPS. LOUPE_INSECURE_COOKIES=1 lifts it
# for plain-HTTP loopback deployments (benchmarks, the compose file without a TLS proxy).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION and not env_bool(
    "LOUPE_INSECURE_COOKIES", False
)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("LOUPE_BEHIND_TLS_PROXY", False) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
    },
}
