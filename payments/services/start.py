"""Starting a payment of an order with a provider."""

from __future__ import annotations

import logging
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.constants import OrderStatus
from orders.models import Order
from storefront import metrics

from ..constants import PaymentStatus
from ..exceptions import PaymentInvalidState, PaymentProviderError, PaymentProviderUnavailable
from ..models import Payment
from ..providers import PROVIDERS, PaymentRequest, ProviderError, ProviderUnavailable, callback_url
from .provider import provider_get

logger = logging.getLogger(__name__)


def new_out_trade_no(reference: str, *, fallback: str = "FG") -> str:
    """A provider trade number for a payment of ``reference`` (an order or invoice
    number): readable for staff, with a random tail unique per attempt. At most
    20 + 1 + 8 = 29 characters of [A-Za-z0-9-]."""
    base = re.sub(r"[^A-Za-z0-9]", "", reference)[:20] or fallback
    return f"{base}-{secrets.token_hex(4)}"


def provider_for_start(provider: str):
    """The configured provider ``provider``, or ``PaymentProviderUnavailable`` (400)."""
    if provider not in PROVIDERS:
        raise PaymentProviderUnavailable(details={"provider": provider})
    try:
        return provider_get(provider)
    except ProviderUnavailable as exc:
        raise PaymentProviderUnavailable(exc.message, details={"provider": provider}) from exc


def trade_open(impl, payment: Payment, request: PaymentRequest, *, extra: dict | None = None):
    """Ask the provider to open ``payment``'s trade; stores and returns the payment with
    the ``client_payload`` the buyer's device needs (``extra`` added to it).
    ``PaymentProviderError`` (502) when the provider does not answer."""
    try:
        result = impl.start(request)
    except ProviderError as exc:
        logger.warning("payment start %s failed: %s", payment.out_trade_no, exc.message)
        metrics.incr(f"payment_start_failed:{payment.provider}")
        raise PaymentProviderError(details={"provider": payment.provider}) from exc
    payload = {**result.client_payload, **(extra or {})}
    Payment.objects.filter(pk=payment.pk).update(client_payload=payload, updated=timezone.now())
    payment.client_payload = payload
    return payment


def payment_start(
    *,
    order: Order,
    provider: str,
    client_ip: str | None = None,
    return_url: str | None = None,
    payer_openid: str | None = None,
) -> Payment:
    """Start paying `order` with `provider`; returns the payment with `client_payload`.

    Raises `PaymentProviderUnavailable` (400 `provider_unavailable`) for an unknown or
    unconfigured provider, `PaymentInvalidState` (409 `invalid_state`) unless the order
    is `pending_payment` and not expired, `PaymentProviderError` (502) when the
    provider does not answer. A pending payment of the same provider and amount is
    reused, so pressing "pay" twice never opens two trades that could both be paid.
    """
    impl = provider_for_start(provider)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        details = {"status": locked.status, "number": locked.number}
        if locked.status != OrderStatus.PENDING_PAYMENT:
            raise PaymentInvalidState(details=details)
        if locked.expires_at <= timezone.now():
            raise PaymentInvalidState("The time to pay this order has run out.", details=details)
        payment = (
            Payment.objects.filter(
                order=locked, provider=provider, status=PaymentStatus.PENDING, amount=locked.total
            )
            .order_by("-created", "-id")
            .first()
        )
        if payment is None:
            payment = Payment.objects.create(
                order=locked,
                provider=provider,
                out_trade_no=new_out_trade_no(locked.number),
                amount=locked.total,
            )

    request = PaymentRequest(
        out_trade_no=payment.out_trade_no,
        amount=payment.amount,
        subject=f"Farmgate {locked.number}",
        notify_url=callback_url(settings.PUBLIC_BASE_URL, provider),
        return_url=return_url,
        client_ip=client_ip,
        expires_at=locked.expires_at,
        payer_openid=payer_openid,
    )
    return trade_open(impl, payment, request)
