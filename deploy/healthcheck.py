"""The container's health check: GET /healthz on this container's gunicorn.

Sent with the first of ALLOWED_HOSTS as Host, since Django answers 400 to any other.
Exits 0 when the answer is 200.
"""

import os
import sys
import urllib.request

host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".")
request = urllib.request.Request(
    f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz", headers={"Host": host}
)
try:
    with urllib.request.urlopen(request, timeout=4) as answer:  # noqa: S310 (fixed URL)
        sys.exit(0 if answer.status == 200 else 1)
except Exception as exc:  # any failure is "unhealthy"
    print(f"healthcheck: {exc}", file=sys.stderr)
    sys.exit(1)
