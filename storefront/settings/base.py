"""Settings shared by every environment, read from environment variables.

| variable | default |
|---|---|
| DATABASE_URL | SQLite file ``var/farmgate.sqlite3`` |
| REDIS_URL | unset: a file cache and kombu's filesystem broker under ``var/`` |
| SECRET_KEY | a development key generated once into ``var/secret_key`` |
| DEBUG, ALLOWED_HOSTS, PUBLIC_BASE_URL, MEDIA_ROOT, payment provider settings |

Every variable, with its meaning, is listed in ``.env.example`` (a test keeps that list
and the code's reads the same).
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import dj_email_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from storefront.logs import logging_config

from .env import env_bool, env_decimal, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("FARMGATE_VAR_DIR", str(BASE_DIR / "var")))


def _development_secret_key() -> str:
    """A per-checkout key kept under var/, so sessions survive restarts in development."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or _development_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
# Where buyers and payment providers reach this server. By default the address
# `make run` serves on (its HOST and PORT), so the wallet's links and notify URLs
# follow a changed port.
_SERVE_HOST = env_str("HOST", "127.0.0.1")
_SERVE_HOST = "127.0.0.1" if _SERVE_HOST in ("", "0.0.0.0", "::") else _SERVE_HOST  # noqa: S104
PUBLIC_BASE_URL = (
    env_str("PUBLIC_BASE_URL") or f"http://{_SERVE_HOST}:{env_str('PORT') or '8000'}"
).rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", PUBLIC_BASE_URL)

INSTALLED_APPS = [
    # Before the admin: its translation tabs and widgets (catalog/translation.py).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # full-text and trigram lookups of the product search
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served by us, not from a CDN (CSP 'self')
    "storefront",
    "regions",
    "sms",
    "accounts",
    "notifications",
    "catalog",
    "orders",
    "payments",
    "fulfilment",
    "lifecycle",
    "farm",
    "members",
    "wholesale",
    "channels",
    "reports",
    "groupbuy",
    "marketing",
]

# A form sent from a stale page: the site's page, in the site's language.
CSRF_FAILURE_VIEW = "storefront.views.csrf_failure"

MIDDLEWARE = [
    "storefront.middleware.RequestIdMiddleware",
    "storefront.middleware.MetricsMiddleware",
    # Anonymous catalogue hits answered here, before the rest (catalog/middleware.py).
    "catalog.middleware.CatalogCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "storefront.middleware.ApiErrorMiddleware",
    "storefront.middleware.RequestSizeLimitMiddleware",
    "storefront.middleware.SingleValuedApiQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "marketing.middleware.CampaignMiddleware",  # ?c=CODE: the campaign a buyer came with
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After sessions, locale and auth: the site's 404 page needs the language and user.
    "storefront.middleware.SiteErrorPagesMiddleware",
    "storefront.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

# --- browser security headers (every environment, so tests see what production sends)
# Every page, the admin and the API docs load scripts, styles, fonts and images from
# this server only: no inline script or style, no CDN, no framing, forms post here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

ROOT_URLCONF = "storefront.urls"
WSGI_APPLICATION = "storefront.wsgi.application"
ASGI_APPLICATION = "storefront.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'farmgate.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file in development: WAL lets readers
    # run beside the writer, IMMEDIATE takes the write lock up front (no upgrade
    # deadlocks), and a busy timeout makes writers queue instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that skips the per-request SELECT 1 on a
    # connection used moments ago (storefront/postgres/base.py).
    DATABASES["default"]["ENGINE"] = "storefront.postgres"
# Seconds a persistent connection may sit unused and still be trusted without a query.
DB_HEALTH_CHECK_IDLE_SECONDS = env_int("DB_HEALTH_CHECK_IDLE_SECONDS", 5)
# The checkout's hot statements are prepared once per connection (off behind a
# transaction-pooling proxy such as PgBouncer in transaction mode).
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Roles other apps give a person, composed here above the apps (accounts knows no
# cooperative): ``GET me/`` lists them.
ACCOUNT_ROLE_SOURCES = ["catalog.selectors.user_membership_roles"]
# Where signing in lands without a page asked for (accounts.selectors.user_home_url):
# the first role the person holds wins.
ACCOUNT_ROLE_HOMES = [
    ("manager", "admin:fulfilment_shipment_changelist"),  # the to-pack list
    ("platform_staff", "admin:index"),
    ("staff", "admin:index"),
    ("farmer", "farm:dashboard"),
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out account or address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"

# --- who the client is, and sign-in lock-out (accounts/lockout.py) ----------
# Proxies in front of the app whose X-Forwarded-For we trust. 0 (default): the client
# is the socket address and X-Forwarded-For is ignored. Set it to the number of proxies
# (load balancer, nginx) that each append the address they saw; never more.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "storefront.client_ip.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.username_key"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Failed sign-ins before an account, or an address, is locked (each counted on its own).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
LOGIN_REDIRECT_URL = "/"

# --- cache and broker -----------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "storefront.cache.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "farmgate",
            "TIMEOUT": 300,
        }
    }
else:
    # No Redis: a file cache under var/ that the web, the worker, beat and manage.py
    # all share. Never per-process memory: a stock returned by the worker or a product
    # archived from the shell must be seen by every web process's next request (the
    # catalogue's page cache, the throttles' counters and the metrics live here).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": "farmgate",
            "TIMEOUT": 300,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("ug", "ئۇيغۇرچە"), ("en", "English")]
LANGUAGES_BIDI = ["he", "ar", "ar-dz", "fa", "ur", "ug", "ckb"]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Product texts (and category names) in every language above, one column each
# (django-modeltranslation, catalog/translation.py): ``title_zh_hans``, ``title_ug``,
# ``title_en``. Reading ``product.title`` gives the active language's text, or the
# Chinese one when that translation is empty. Chinese is the cooperatives' own
# language, whatever a deployment's LANGUAGE_CODE (the tests run in English).
MODELTRANSLATION_DEFAULT_LANGUAGE = "zh-hans"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("zh-hans",)
# English dates in ISO order, not the US month-first style (storefront/formats/en).
FORMAT_MODULE_PATH = ["storefront.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploads on object storage instead (MEDIA_STORAGE=s3): Amazon S3, or any S3-compatible
# service through S3_ENDPOINT_URL (Alibaba Cloud OSS, Tencent COS, MinIO). Objects are
# private and linked with signed URLs unless S3_QUERYSTRING_AUTH=0 (then the bucket, or
# the CDN of S3_CUSTOM_DOMAIN, must make only the public prefixes readable: see deploy/).
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "filesystem")
S3_SECRET_ACCESS_KEY = env_str("S3_SECRET_ACCESS_KEY")
if MEDIA_STORAGE == "s3":
    if not env_str("S3_BUCKET"):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs S3_BUCKET")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": S3_SECRET_ACCESS_KEY or None,
            "custom_domain": env_str("S3_CUSTOM_DOMAIN") or None,
            "querystring_auth": env_bool("S3_QUERYSTRING_AUTH", True),
            # OSS answers only virtual-hosted style ("virtual"); MinIO wants "path".
            "addressing_style": env_str("S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
            "location": env_str("S3_LOCATION", "media"),
            "default_acl": None,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "max-age=86400"},
        },
    }
elif MEDIA_STORAGE != "filesystem":
    raise ImproperlyConfigured("MEDIA_STORAGE must be filesystem or s3")
# A single host without a web server in front may let the app serve MEDIA_ROOT under
# /media/ (with safe headers; private files such as packing slips never): see deploy/.
SERVE_MEDIA = env_bool("SERVE_MEDIA", False)
MEDIA_PRIVATE_PREFIXES = ("packing-slips/",)
# Uploads above this are refused before Django reads them into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 2 * 1024 * 1024)
MAX_MULTIPART_REQUEST_BYTES = env_int("MAX_MULTIPART_REQUEST_BYTES", 32 * 1024 * 1024)
IMAGE_UPLOAD_MAX_BYTES = env_int("IMAGE_UPLOAD_MAX_BYTES", 8 * 1024 * 1024)
IMAGE_UPLOAD_MAX_PIXELS = env_int("IMAGE_UPLOAD_MAX_PIXELS", 40_000_000)
# Certification documents (PDF, JPEG or PNG, checked by content: catalog/documents.py).
CERTIFICATION_DOCUMENT_MAX_BYTES = env_int("CERTIFICATION_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)

# --- REST framework -------------------------------------------------------
# How long an API token and its user are answered from the cache (0: always the database).
TOKEN_AUTH_CACHE_SECONDS = env_int("TOKEN_AUTH_CACHE_SECONDS", 60)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token authentication with a short-lived cache (accounts/authentication.py)
        "accounts.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser with a nesting cap (storefront.jsonsafe): no RecursionError.
    "DEFAULT_PARSER_CLASSES": ["storefront.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "storefront.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "storefront.api.exceptions.exception_handler",
    # Throttles key on the client address of storefront.client_ip (same setting).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "auth": env_str("THROTTLE_AUTH_RATE", "10/min"),
        "register": env_str("THROTTLE_REGISTER_RATE", "5/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Farmgate API",
    "DESCRIPTION": "Buy flour and produce straight from farm cooperatives in poor rural counties.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # PATCH bodies use the same component as PUT would: the cart's PATCH needs quantity.
    "COMPONENT_SPLIT_PATCH": False,
    # Paginated lists document the 404 of a page past the end.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "storefront.api.schema.document_page_not_found",
        "storefront.api.schema.document_repeated_parameter",
    ],
    # Choice sets that share a field name get stable component names (no W001 warnings).
    "ENUM_NAME_OVERRIDES": {
        "PaymentStatusEnum": "payments.constants.PaymentStatus",
        "PaymentProviderEnum": "payments.constants.PROVIDER_CHOICES",
        # The statement's invoices (wholesale) meet other "kind" choices in one schema.
        "InvoiceKindEnum": "wholesale.constants.InvoiceKind",
    },
}

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
# Seconds before Redis hands an unacknowledged message to another worker. Longer than
# the hard time limit (a slow task is never run twice at once) and than the longest
# retry countdown (an e-mail retried an hour later: a worker holds such a message
# unacknowledged until then). A dead worker's message returns after this long.
REDIS_VISIBILITY_TIMEOUT = 2 * 3600
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if not REDIS_URL:
    # No server needed in development: kombu's filesystem transport lets the
    # web process, a real worker process and beat exchange messages via files.
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        "control_folder": str(_control_dir),
        # Seconds between looks at the queue folder: every hop of a task (a payment's
        # apply, then its fulfilment) waits up to this long; a tenth keeps a payment
        # applied well within half a second and costs an idle worker ten directory
        # listings a second.
        "polling_interval": 0.1,
    }
else:
    # Redis redelivers an unacked message after the visibility timeout: it must
    # be longer than the longest task (hard time limit below) and than any ETA.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": REDIS_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ("default", "payments", "fulfilment", "media", "sms", "reports")
CELERY_TASK_ROUTES = {
    "payments.sandbox.tasks.*": {"queue": "payments"},
    "lifecycle.tasks.payment*": {"queue": "payments"},
    "lifecycle.tasks.refund*": {"queue": "payments"},
    "lifecycle.tasks.orders_complete_task": {"queue": "fulfilment"},
    "lifecycle.tasks.wholesale_invoices_task": {"queue": "fulfilment"},
    "fulfilment.tasks.*": {"queue": "fulfilment"},
    "catalog.tasks.*": {"queue": "media"},
    "sms.tasks.*": {"queue": "sms"},
    # Exports, imports and aggregate rebuilds run long: their own queue, so they never
    # hold up an e-mail or a thumbnail.
    "reports.tasks.*": {"queue": "reports"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers keep their database connection across tasks (closing and reopening it per
# task cost about a tenth of a payment apply); CONN_HEALTH_CHECKS still drops a dead one.
CELERY_DB_REUSE_MAX = 200
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
_MINUTE, _HOUR, _DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
# name: (task, schedule)
_BEAT = {
    # Orders: cancel unpaid orders past expires_at and return their stock (idempotent).
    "orders-expire": ("lifecycle.tasks.orders_expire_task", _MINUTE),
    # Group buying: teams past their deadline fail; paid members refunded once each.
    "teams-fail-overdue": ("lifecycle.tasks.teams_fail_overdue_task", _MINUTE),
    # Fulfilment: shipments shipped AUTO_DELIVER_DAYS ago count as delivered; delivered
    # orders complete after RETURN_WINDOW_DAYS and release the ledger for payout.
    "fulfilment-auto-deliver": ("fulfilment.tasks.shipments_auto_deliver_task", _HOUR),
    # Fulfilment: restart the pipeline of paid orders whose messages a down broker lost.
    "fulfilment-sweep": ("fulfilment.tasks.shipments_sweep_task", 2 * _MINUTE),
    "fulfilment-complete-orders": ("lifecycle.tasks.orders_complete_task", _HOUR),
    # Wholesale: each delivered purchase order gets its invoice (idempotent).
    "wholesale-invoices": ("lifecycle.tasks.wholesale_invoices_task", _HOUR),
    # Wholesale: contract deliveries due (or waiting for stock) placed through checkout.
    "wholesale-contract-deliveries": ("lifecycle.tasks.contract_deliveries_task", 10 * _MINUTE),
    # Payments: re-enqueue inbox rows stored but not applied (broker was down), and ask
    # providers about payments pending over ten minutes (PAYMENTS.md step 5).
    "payments-inbox-sweep": ("lifecycle.tasks.payments_inbox_sweep_task", _MINUTE),
    "payments-reconcile-sweep": ("lifecycle.tasks.payments_reconcile_sweep_task", 5 * _MINUTE),
    # Notifications: send again the e-mails and text messages whose task a down broker lost.
    "notifications-sweep": ("notifications.tasks.notifications_sweep_task", 5 * _MINUTE),
    "ratelimits-prune": ("storefront.tasks.ratelimits_prune_task", _DAY),
    # Reports: today's and yesterday's aggregates rebuilt every 30 minutes (idempotent);
    # yesterday's compared with the ledger early each morning; expired job files removed.
    "reports-aggregates-build": ("reports.tasks.aggregates_build_recent_task", 30 * _MINUTE),
    "reports-aggregates-check": (
        "reports.tasks.aggregates_check_yesterday_task",
        crontab(hour=3, minute=15),
    ),
    "reports-jobs-expire": ("reports.tasks.jobs_expire_task", _HOUR),
    # Stations: parcels not collected after the station's N days are flagged to the agent.
    "channels-uncollected-flag": ("channels.tasks.uncollected_flag_task", _HOUR),
}
CELERY_BEAT_SCHEDULE = {
    name: {"task": task, "schedule": schedule} for name, (task, schedule) in _BEAT.items()
}
# A stored notification the sweep has re-enqueued this often is rejected for staff.
PAYMENTS_INBOX_MAX_ATTEMPTS = env_int("PAYMENTS_INBOX_MAX_ATTEMPTS", 10)
# How long enqueueing may block a request when the broker is down.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}

# --- e-mail ---------------------------------------------------------------
# EMAIL_URL in one line (submission://user:password@smtp.example.com:587 for STARTTLS,
# smtp://user:password@smtp.example.com:465?ssl=1 for TLS), or the EMAIL_HOST ...
# variables. With neither, mail is printed to the console (development); production
# refuses that unless EMAIL_ALLOW_CONSOLE=1.
_CONSOLE_MAIL = "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# Seconds before an unanswering mail server fails the send (the task retries later).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if env_str("EMAIL_HOST") else _CONSOLE_MAIL
)
if env_str("EMAIL_URL"):
    _mail = dj_email_url.parse(env_str("EMAIL_URL"))
    if "EMAIL_BACKEND" not in _mail:
        raise ImproperlyConfigured("EMAIL_URL must start with smtp://, submission:// or console://")
    EMAIL_BACKEND = _mail["EMAIL_BACKEND"]
    EMAIL_HOST = _mail["EMAIL_HOST"] or EMAIL_HOST
    EMAIL_PORT = _mail["EMAIL_PORT"] or EMAIL_PORT
    EMAIL_HOST_USER = _mail["EMAIL_HOST_USER"] or ""
    EMAIL_HOST_PASSWORD = _mail["EMAIL_HOST_PASSWORD"] or ""
    EMAIL_USE_TLS, EMAIL_USE_SSL = _mail["EMAIL_USE_TLS"], _mail["EMAIL_USE_SSL"]
    EMAIL_TIMEOUT = _mail["EMAIL_TIMEOUT"] or EMAIL_TIMEOUT
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Farmgate <noreply@farmgate.example>")
# The sender of error mails to ADMINS (none are configured: errors go to Sentry).
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_ALLOW_CONSOLE = env_bool("EMAIL_ALLOW_CONSOLE", False)

# --- text messages (sms/) ---------------------------------------------------
# "outbox" (development: messages listed on /dev/sms/), "aliyun", "tencent", or empty
# (no text messages: SMS sign-in answers 503 and notifications skip the SMS channel).
SMS_BACKEND = env_str("SMS_BACKEND")
SMS_ALIYUN_ACCESS_KEY_ID = env_str("SMS_ALIYUN_ACCESS_KEY_ID")
SMS_ALIYUN_ACCESS_KEY_SECRET = env_str("SMS_ALIYUN_ACCESS_KEY_SECRET")
SMS_ALIYUN_SIGN_NAME = env_str("SMS_ALIYUN_SIGN_NAME")
SMS_ALIYUN_TEMPLATES: dict[str, str] = json.loads(env_str("SMS_ALIYUN_TEMPLATES", "{}"))
SMS_ALIYUN_ENDPOINT = env_str("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com")
SMS_TENCENT_SECRET_ID = env_str("SMS_TENCENT_SECRET_ID")
SMS_TENCENT_SECRET_KEY = env_str("SMS_TENCENT_SECRET_KEY")
SMS_TENCENT_SDK_APP_ID = env_str("SMS_TENCENT_SDK_APP_ID")
SMS_TENCENT_SIGN_NAME = env_str("SMS_TENCENT_SIGN_NAME")
SMS_TENCENT_TEMPLATES: dict[str, str] = json.loads(env_str("SMS_TENCENT_TEMPLATES", "{}"))
SMS_TENCENT_REGION = env_str("SMS_TENCENT_REGION", "ap-guangzhou")
SMS_TENCENT_ENDPOINT = env_str("SMS_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com")
# Every message to one number, whatever sent it (the providers refuse more anyway).
SMS_PER_NUMBER_PER_MINUTE = env_int("SMS_PER_NUMBER_PER_MINUTE", 2)
SMS_PER_NUMBER_PER_HOUR = env_int("SMS_PER_NUMBER_PER_HOUR", 20)
# Sign-in codes (accounts): per number and per client address.
SMS_CODE_TTL_SECONDS = env_int("SMS_CODE_TTL_SECONDS", 300)
SMS_CODE_MAX_ATTEMPTS = env_int("SMS_CODE_MAX_ATTEMPTS", 5)
SMS_CODE_PER_MINUTE = env_int("SMS_CODE_PER_MINUTE", 1)
SMS_CODE_PER_HOUR = env_int("SMS_CODE_PER_HOUR", 10)

# --- business settings ----------------------------------------------------
ORDER_PAYMENT_TIMEOUT = timedelta(minutes=env_int("ORDER_PAYMENT_TIMEOUT_MINUTES", 30))
PLATFORM_FEE_PERCENT = env_decimal("PLATFORM_FEE_PERCENT", "0")
# Cooperatives in designated poverty-relief counties pay this fee instead (default none).
PLATFORM_FEE_PERCENT_POVERTY_RELIEF = env_decimal("PLATFORM_FEE_PERCENT_POVERTY_RELIEF", "0")
RETURN_WINDOW_DAYS = env_int("RETURN_WINDOW_DAYS", 7)
AUTO_DELIVER_DAYS = env_int("AUTO_DELIVER_DAYS", 15)
# Per-carrier HMAC secrets for /api/v1/fulfilment/carrier-events/: JSON {"sf": "...", ...}.
CARRIER_WEBHOOK_SECRETS: dict[str, str] = json.loads(env_str("CARRIER_WEBHOOK_SECRETS", "{}"))
# `load_demo` may create the superuser `admin` (with DEBUG on or --with-admin); never in
# production (production.py turns it off).
DEMO_SUPERUSER_ALLOWED = True
# Extra demo loaders `manage.py load_demo` runs after the catalogue (dotted paths): the
# settings name them so that the catalogue never imports the apps above it.
DEMO_EXTENSIONS = [
    "members.demo.load_households_demo",
    "groupbuy.demo.load_groupbuy_demo",
    "wholesale.demo.load_wholesale_demo",
    "channels.demo.load_channels_demo",
    "marketing.demo.load_marketing_demo",
]
# Mounts the bare hello views the benchmarks compare against; off unless bench/ turns it on.
BENCHMARK_VIEWS = env_bool("BENCHMARK_VIEWS", False)

# --- payment providers (names fixed by shared/PAYMENTS.md) ----------------
ALIPAY_APP_ID = env_str("ALIPAY_APP_ID")
ALIPAY_APP_PRIVATE_KEY_FILE = env_str("ALIPAY_APP_PRIVATE_KEY_FILE")
ALIPAY_PUBLIC_KEY_FILE = env_str("ALIPAY_PUBLIC_KEY_FILE")
ALIPAY_SELLER_ID = env_str("ALIPAY_SELLER_ID")
ALIPAY_GATEWAY_URL = env_str("ALIPAY_GATEWAY_URL", "https://openapi.alipay.com/gateway.do")
WECHATPAY_MCH_ID = env_str("WECHATPAY_MCH_ID")
WECHATPAY_APP_ID = env_str("WECHATPAY_APP_ID")
WECHATPAY_APIV3_KEY = env_str("WECHATPAY_APIV3_KEY")
WECHATPAY_PRIVATE_KEY_FILE = env_str("WECHATPAY_PRIVATE_KEY_FILE")
WECHATPAY_CERT_SERIAL = env_str("WECHATPAY_CERT_SERIAL")
WECHATPAY_PLATFORM_PUBLIC_KEY_FILE = env_str("WECHATPAY_PLATFORM_PUBLIC_KEY_FILE")
WECHATPAY_PLATFORM_PUBLIC_KEY_ID = env_str("WECHATPAY_PLATFORM_PUBLIC_KEY_ID")
WECHATPAY_API_BASE = env_str("WECHATPAY_API_BASE", "https://api.mch.weixin.qq.com")
SANDBOX_WALLET_SECRET = env_str("SANDBOX_WALLET_SECRET")
PAYMENTS_SANDBOX_ENABLED = env_bool("PAYMENTS_SANDBOX_ENABLED", False)
# Dotted paths of query/refund answers for a sandbox provider built without the wallet
# (payments.sandbox.provider passes the wallet's own; these are for other set-ups).
SANDBOX_WALLET_QUERY_HOOK = env_str("SANDBOX_WALLET_QUERY_HOOK")
SANDBOX_WALLET_REFUND_HOOK = env_str("SANDBOX_WALLET_REFUND_HOOK")
# Like real wallets, the sandbox sometimes delivers one event twice (dedup is tested live).
SANDBOX_WALLET_DUPLICATE_RATE = float(env_str("SANDBOX_WALLET_DUPLICATE_RATE", "0.1"))
# Where the wallet posts its notifications (default PUBLIC_BASE_URL).
SANDBOX_WALLET_NOTIFY_BASE_URL = env_str("SANDBOX_WALLET_NOTIFY_BASE_URL")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# The pay page's form redirects to the wallet: form-action also governs where a POST
# may redirect. Allow our public address and, when Alipay is on, its page-pay gateway.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = sorted(
    {"'self'", _origin(PUBLIC_BASE_URL)}
    | ({_origin(ALIPAY_GATEWAY_URL)} if ALIPAY_APP_ID else set())
)

# --- logs, metrics, error reports --------------------------------------------
# JSON lines (one object a line, with the request id) unless LOG_FORMAT=text; with
# DEBUG on (make run's runserver) the default is text, which a person reads faster.
LOG_FORMAT = env_str("LOG_FORMAT")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = logging_config(fmt=LOG_FORMAT or ("text" if DEBUG else "json"), level=LOG_LEVEL)
# Peers whose X-Request-ID is kept (the reverse proxy's addresses). Which address is
# the client (X-Forwarded-For) is TRUSTED_PROXY_COUNT's job, above: one rule each.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "127.0.0.1/32,::1/128")
# /metrics answers a request with `Authorization: Bearer <METRICS_TOKEN>`, or one that
# comes straight (no proxy in between) from a network in METRICS_ALLOWED_CIDRS.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_CIDRS = env_list("METRICS_ALLOWED_CIDRS", "")
# Error reports to Sentry or a Sentry-protocol server (GlitchTip), only when a DSN is set.
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
SENTRY_TRACES_SAMPLE_RATE = float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0") or 0)
if SENTRY_DSN:
    from storefront.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
