"""Test settings: fast hashing, in-memory e-mail, eager tasks unless a test starts a worker."""

import tempfile

from .base import *  # noqa: F403
from .env import env_str

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-" + "x" * 20
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="farmgate-test-media-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = env_str("TEST_CELERY_BROKER_URL", "memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PAYMENTS_SANDBOX_ENABLED = True
SANDBOX_WALLET_SECRET = "test-sandbox-secret"  # noqa: S105
PUBLIC_BASE_URL = "http://testserver"
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"auth": "1000/min", "register": "1000/min"}
LANGUAGE_CODE = "en"
SMS_BACKEND = "outbox"
# Eager tasks retry at once: the per-number limit is tested on its own (tests/sms).
SMS_PER_NUMBER_PER_MINUTE = 1000
SMS_PER_NUMBER_PER_HOUR = 1000
