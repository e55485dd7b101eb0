"""Development settings: debug on, sandbox wallet on, e-mail to the console."""

import hashlib

from .base import *  # noqa: F403
from .base import SECRET_KEY
from .env import env_bool, env_str

DEBUG = env_bool("DEBUG", True)
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
