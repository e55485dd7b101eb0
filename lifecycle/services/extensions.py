"""Where features hook into the order's life without the flows naming them.

``on_unpaid_release(callback)``: ``callback(order)`` runs when an unpaid order is
cancelled (by the buyer, ``cancel.order_cancel``) or runs out of time
(``expiry.order_expire``), inside that flow's transaction, with the order row locked and
already ``cancelled``, right after its stock came back. That transition happens once
per order, so a callback gives back what its feature claimed at checkout (a voucher
use, a team slot, a pre-sale quota) exactly once, in the same transaction as the stock;
if it raises, the cancellation rolls back with it.

Features register from their ``AppConfig.ready()`` (they sit above lifecycle's
dependencies, and lifecycle never imports them). Registering the same callback twice
keeps one.
"""

from __future__ import annotations

from collections.abc import Callable

from orders.models import Order

UnpaidRelease = Callable[[Order], None]

_unpaid_release: list[UnpaidRelease] = []


def on_unpaid_release(callback: UnpaidRelease) -> UnpaidRelease:
    """Register ``callback(order)`` (usable as a decorator); returns it."""
    if callback not in _unpaid_release:
        _unpaid_release.append(callback)
    return callback


def off_unpaid_release(callback: UnpaidRelease) -> None:
    """Unregister ``callback`` (tests); nothing if it was not registered."""
    if callback in _unpaid_release:
        _unpaid_release.remove(callback)


def unpaid_release_run(order: Order) -> None:
    """Run every registered callback, in registration order. Precondition: inside the
    transaction that cancelled the unpaid ``order``, its row locked."""
    for callback in list(_unpaid_release):
        callback(order)
