"""Where features hook into the order's life without the flows naming them.

``on_unpaid_release(callback)``: ``callback(order)`` runs when an unpaid order is
cancelled (by the buyer, ``cancel.order_cancel``) or runs out of time
(``expiry.order_expire``), inside that flow's transaction, with the order row locked and
already ``cancelled``, right BEFORE its stock comes back (the lock order of checkout:
a feature's rows before the variants, see ``lifecycle.services``). That transition happens once
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


# --- paid orders the buyer cancels ----------------------------------------------

PaidCancel = Callable[[Order], None]

_paid_cancel: list[PaidCancel] = []


def on_paid_cancel(callback: PaidCancel) -> PaidCancel:
    """Register ``callback(order)``: runs when a paid order is cancelled before anything
    shipped (``cancel.order_cancel``), inside that transaction, the order locked and
    already ``refund_pending``, its stock back and its refund started. That transition
    happens once per order, so a feature gives back what the order held (a team seat)
    once. Registering twice keeps one."""
    if callback not in _paid_cancel:
        _paid_cancel.append(callback)
    return callback


def paid_cancel_run(order: Order) -> None:
    for callback in list(_paid_cancel):
        callback(order)


# --- paid orders a feature holds back from fulfilment ---------------------------

PaidHold = Callable[[Order], bool]

_paid_hold: list[PaidHold] = []


def on_paid_hold(callback: PaidHold) -> PaidHold:
    """Register ``callback(order) -> bool``: run in the paid flow's transaction (order
    locked, just paid); ``True`` holds the order's fulfilment (the feature starts it
    later: a team that fills, a pre-sale converted). Registering twice keeps one."""
    if callback not in _paid_hold:
        _paid_hold.append(callback)
    return callback


def paid_hold_run(order: Order) -> bool:
    """Every registered callback runs; the order is held if any says so."""
    held = False
    for callback in list(_paid_hold):
        held = callback(order) or held
    return held
