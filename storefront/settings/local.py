"""Development settings: debug on, sandbox wallet on, e-mail to the console."""

import hashlib

from storefront.logs import logging_config

from .base import *  # noqa: F403
from .base import LOG_FORMAT, LOG_LEVEL, SECRET_KEY
from .env import env_bool, env_list, env_str

DEBUG = env_bool("DEBUG", True)
LOGGING = logging_config(fmt=LOG_FORMAT or ("text" if DEBUG else "json"), level=LOG_LEVEL)
# `make run` has no web server in front: the app serves uploaded photos itself.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
# Prometheus on the same machine may read /metrics without a token.
METRICS_ALLOWED_CIDRS = env_list("METRICS_ALLOWED_CIDRS", "127.0.0.0/8,::1/128")
PAYMENTS_SANDBOX_ENABLED = env_bool("PAYMENTS_SANDBOX_ENABLED", True)
# Text messages land in the development outbox (/dev/sms/) unless a provider is chosen.
SMS_BACKEND = env_str("SMS_BACKEND", "outbox")
# A stable development secret derived from the local key, so the wallet and the
# callback view agree across restarts without any configuration.
SANDBOX_WALLET_SECRET = (
    env_str("SANDBOX_WALLET_SECRET") or hashlib.sha256(f"sandbox:{SECRET_KEY}".encode()).hexdigest()
)
# Development carrier-notification secrets, one per seeded carrier, derived like the above.
CARRIER_WEBHOOK_SECRETS = {
    code: hashlib.sha256(f"carrier:{code}:{SECRET_KEY}".encode()).hexdigest()
    for code in ("sf", "ems", "jd", "yto", "zto", "sto", "yunda")
} | CARRIER_WEBHOOK_SECRETS  # noqa: F405
