"""Settings of the Celery worker subprocess the worker-death tests start (tests only).

Development settings pointed, through the environment the test passes, at the test's
PostgreSQL database, a private Redis and the test's media folder; Redis hands an
unacknowledged message to another worker after a few seconds instead of an hour.
"""

import os

from storefront.settings.local import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("RESIL_VISIBILITY_TIMEOUT", "3")),
    # Look for expired unacknowledged messages every second (default: ~100 s).
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
