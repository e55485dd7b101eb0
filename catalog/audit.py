"""The audit trail: who changed a price, a listing's status, a membership or a payout.

Each service that makes such a change calls :func:`audit_record` inside its own
transaction, so an event exists exactly when its change was committed. Stock is not
recorded here: every stock change already is a ``StockMovement`` with its actor.

Why our own event rows and not django-simple-history:

* simple-history snapshots a row on every ``Model.save()`` (through signals) and takes
  "who" from a thread-local request; our stock moves by conditional ``UPDATE`` (never a
  save), payouts are made by Celery tasks and management commands with no request, and
  the services already know the actor explicitly — so it would miss writes and lose
  the actor exactly where it matters;
* it keeps a full-row history table per model (variants, products, memberships and
  payouts: four tables, one of them in another app's migrations), each to be scoped
  for managers; one table keyed by cooperative is one scoped, indexed admin list;
* an event says what the change *meant* ("listing approved", "price 39.90 → 42.00",
  with the reason the manager gave), which a row snapshot does not.

The payments app (above the catalogue) records payouts through the same function.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from .constants import AuditAction
from .models import AuditEvent, Cooperative


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a changed value (money stays an exact string)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _cooperative_id(target: models.Model) -> int:
    for path in ("cooperative_id", "product"):
        value = getattr(target, path, None)
        if isinstance(value, int):
            return value
        if value is not None:
            return value.cooperative_id
    raise ValueError(f"say which cooperative {target!r} belongs to")


def audit_record(
    *,
    target: models.Model,
    action: str,
    actor,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    note: str = "",
    cooperative: Cooperative | int | None = None,
) -> AuditEvent:
    """Record that ``actor`` (a user, or None for the system) changed ``target``.

    ``changes`` maps a field to ``(before, after)``. The cooperative whose managers see
    the event is ``target``'s (its own, or its product's) unless given. Call it inside
    the transaction of the change it records.
    """
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    if cooperative is None:
        cooperative_id = _cooperative_id(target)
    else:
        cooperative_id = cooperative if isinstance(cooperative, int) else cooperative.pk
    return AuditEvent.objects.create(
        cooperative_id=cooperative_id,
        actor_id=getattr(actor, "pk", None),
        action=action,
        target_type=target._meta.label_lower,
        target_id=target.pk,
        target_label=str(target)[:200],
        changes={
            name: [_plain(before), _plain(after)]
            for name, (before, after) in (changes or {}).items()
        },
        note=note[:255],
    )
