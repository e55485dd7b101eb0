"""The sandbox wallet's pay page.

It stands in for a phone wallet: anyone holding the link (or scanning its QR code)
may pay, as with a real wallet's payment code, so it needs no login; the POST is
CSRF-protected and works without JavaScript.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from storefront.errors import NotFound
from storefront.qr import qr_svg

from . import wallet
from .provider import sandbox_enabled


def _order_url(number: str) -> str:
    return reverse("order_detail", kwargs={"number": number})


@require_http_methods(["GET", "POST"])
def sandbox_pay(request: HttpRequest, out_trade_no: str) -> HttpResponse:
    if not sandbox_enabled():
        raise Http404("The sandbox wallet is disabled.")
    try:
        payment = wallet.sandbox_payment_get(out_trade_no=out_trade_no)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if request.method == "POST":
        wallet.sandbox_wallet_pay(out_trade_no=payment.out_trade_no)
        # Post/redirect/get: a reload must not pay (or even ask to pay) again.
        return redirect(request.path)
    page_url = request.build_absolute_uri(request.path)
    return render(
        request,
        "payments/sandbox_pay.html",
        {
            "payment": payment,
            "order": payment.order,
            "receivable": payment.receivable,
            "paid": wallet.sandbox_payment_paid(payment=payment),
            "qr_svg": qr_svg(page_url, scale=4, title=page_url),
            "page_url": page_url,
            # An invoice's payment goes back where the buyer started it (its page).
            "order_url": _order_url(payment.order.number)
            if payment.order_id
            else payment.client_payload.get("return_url", ""),
        },
    )
