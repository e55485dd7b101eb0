"""Settings for the worker subprocess the killed-worker test starts (never used otherwise).

Development settings pointed (by the test, through the environment) at the test's
PostgreSQL database, Redis and media folder (``worker_app`` makes tasks pause after
their work so the test can kill the worker while a message is unacknowledged); Redis hands an
unacknowledged message to another worker after a few seconds instead of an hour.
"""

import os

from storefront.settings.local import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("FULFILMENT_TEST_VISIBILITY", "4")),
    # kombu scans for expired unacknowledged messages about every 100 s by default:
    # scan every second so the redelivery happens within the test's patience.
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
