"""Gauges of the fulfilment app, computed at each scrape of /metrics (storefront.metrics)."""

from __future__ import annotations

from storefront import metrics

from .selectors import orders_awaiting_fulfilment_ids

BACKLOG_AFTER_SECONDS = 600
BACKLOG_CAP = 1000


@metrics.gauge_at_scrape(
    "farmgate_fulfilment_backlog",
    "Paid orders whose fulfilment has not started (or stalled) for over 10 minutes "
    f"(counted up to {BACKLOG_CAP}).",
)
def fulfilment_backlog() -> float:
    return float(
        len(
            orders_awaiting_fulfilment_ids(
                older_than_seconds=BACKLOG_AFTER_SECONDS, limit=BACKLOG_CAP
            )
        )
    )
