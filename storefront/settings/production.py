"""Production settings: refuse to start without a real secret, hosts and PostgreSQL."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import _CONSOLE_MAIL, DATABASES, EMAIL_ALLOW_CONSOLE, EMAIL_BACKEND, SMS_BACKEND
from .env import env_bool, env_int, env_str

DEBUG = False


def _require(name: str) -> str:
    value = env_str(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production")
    return value


SECRET_KEY = _require("SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters")
ALLOWED_HOSTS = [h.strip() for h in _require("ALLOWED_HOSTS").split(",") if h.strip()]
_require("DATABASE_URL")
if DATABASES["default"]["ENGINE"] not in ("django.db.backends.postgresql", "storefront.postgres"):
    raise ImproperlyConfigured("production needs a PostgreSQL DATABASE_URL")

if EMAIL_BACKEND == _CONSOLE_MAIL and not EMAIL_ALLOW_CONSOLE:
    raise ImproperlyConfigured(
        "production needs a mail server: set EMAIL_URL (or EMAIL_HOST, EMAIL_PORT, ...), "
        "or EMAIL_ALLOW_CONSOLE=1 to write mail to the log on purpose"
    )

# The development outbox writes every text, sign-in codes included, to the database and
# the worker's log: a code there signs anyone in as that number's owner.
if SMS_BACKEND == "outbox":
    raise ImproperlyConfigured(
        "SMS_BACKEND=outbox keeps sign-in codes in the log: production sends by aliyun or "
        "tencent, or leaves SMS_BACKEND empty (no text messages, no sign-in by code)"
    )

PAYMENTS_SANDBOX_ENABLED = env_bool("PAYMENTS_SANDBOX_ENABLED", False)
# `load_demo` never creates its superuser with a published password here.
DEMO_SUPERUSER_ALLOWED = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
