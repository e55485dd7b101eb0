"""What the catalogue tells farmers and managers (issue 18), from the one service where
each event happens, in its transaction (``notify_in_flow``: the notice commits with the
event, its e-mail / text message go on commit, once per ``event_key``):

- a listing sent for review → the cooperative's managers;
- a listing approved or sent back → its farmer (the producing farmer, else whoever sent
  it for review);
- a size running low after a sale → its farmer (else the managers), once per crossing
  of the cooperative's threshold (``Cooperative.low_stock_threshold``), checked by a
  task after the checkout commits so the checkout's statement count does not grow.
"""

from __future__ import annotations

from notifications.constants import NotificationKind
from notifications.services import notify_in_flow
from storefront import queue

from .constants import AuditAction, MembershipRole
from .models import AuditEvent, Membership, Product, StockMovement

# A threshold is at most this: a sale leaving more than this many cannot cross one.
LOW_STOCK_THRESHOLD_MAX = 1000


def manager_ids(cooperative_id: int) -> list[int]:
    """The active managers of a cooperative (the people its notices go to)."""
    return sorted(
        Membership.objects.filter(
            cooperative_id=cooperative_id, role=MembershipRole.MANAGER, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def _farmer_ids(product: Product) -> list[int]:
    if product.farmer_id:
        return [product.farmer_id]
    submitter = (
        AuditEvent.objects.filter(
            action=AuditAction.LISTING,
            target_type="catalog.product",
            target_id=product.pk,
            changes__status__1="pending_review",
            actor__isnull=False,
        )
        .order_by("-id")
        .values_list("actor_id", flat=True)
        .first()
    )
    return [submitter] if submitter else []


def listing_tell_to_review(product: Product, *, stamp: str) -> None:
    for user_id in manager_ids(product.cooperative_id):
        notify_in_flow(
            user_id=user_id,
            kind=NotificationKind.LISTING_TO_REVIEW,
            event_key=f"listing:{product.pk}:submitted:{stamp}",
            context={"title": product.title},
        )


def listing_tell_reviewed(product: Product) -> None:
    """The farmer hears that the listing was approved, or sent back with the reason."""
    approved = product.status == "active"
    stamp = product.reviewed_at.isoformat() if product.reviewed_at else ""
    for user_id in _farmer_ids(product):
        notify_in_flow(
            user_id=user_id,
            kind=NotificationKind.LISTING_APPROVED
            if approved
            else NotificationKind.LISTING_REJECTED,
            event_key=f"listing:{product.pk}:{'approved' if approved else 'rejected'}:{stamp}",
            context={"title": product.title}
            if approved
            else {"title": product.title, "reason": product.rejection_reason},
        )


def stock_check_low_on_commit(movements: list[StockMovement]) -> None:
    """After a sale: the movements that may have crossed a threshold, checked by a task."""
    ids = [m.pk for m in movements if m.pk and m.balance < LOW_STOCK_THRESHOLD_MAX]
    if ids:
        from .tasks import stock_low_check_task

        queue.send_on_commit(stock_low_check_task, ids)


def stock_tell_low(*, movement_ids: list[int]) -> int:
    """Tell each movement's farmer when it took its size's stock from at least the
    cooperative's threshold to below it (a crossing; the next crossing is another
    event). Returns how many were told."""
    told = 0
    movements = StockMovement.objects.filter(pk__in=movement_ids).select_related(
        "variant__product__cooperative"
    )
    for movement in movements:
        product = movement.variant.product
        threshold = product.cooperative.low_stock_threshold
        before = movement.balance - movement.delta
        if not (movement.balance < threshold <= before):
            continue
        for user_id in _farmer_ids(product) or manager_ids(product.cooperative_id):
            notify_in_flow(
                user_id=user_id,
                kind=NotificationKind.LOW_STOCK,
                event_key=f"variant:{movement.variant_id}:low:{movement.pk}",
                context={
                    "item": f"{product.title} — {movement.variant.name}",
                    "stock": movement.balance,
                },
            )
            told += 1
    return told
