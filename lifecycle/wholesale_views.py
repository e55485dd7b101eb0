"""Wholesale pages that read the payments ledger or start a payment: the buyer's
statement (with "pay online" on each invoice still owed) and the cooperative's
receivables. Thin: authorise, call one selector or flow, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from catalog.admin_scoping import is_platform
from catalog.selectors import user_managed_cooperative_ids
from storefront.errors import NotFound
from wholesale import selectors as wholesale_selectors
from wholesale import services as wholesale
from wholesale.exceptions import NotWholesaleBuyer

from .selectors import wholesale_statement
from .services.receivables import invoice_get_for_buyer, invoice_pay_online
from .views import _providers, pay_in_browser


@login_required
def statement(request):
    try:
        member = wholesale.buyer_for(request.user)
    except NotWholesaleBuyer:
        return redirect("wholesale_home")
    return render(
        request,
        "wholesale/statement.html",
        {
            "org": member.organisation,
            "statement": wholesale_statement(organisation_id=member.organisation_id),
            "orders": wholesale_selectors.purchase_orders(member.organisation_id),
            "providers": _providers(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def invoice_pay(request, number: str):
    """Pay what the invoice still owes online; the provider's page (or QR) takes over."""
    try:
        invoice = invoice_get_for_buyer(user=request.user, number=number)
    except (NotFound, NotWholesaleBuyer):
        raise Http404 from None
    back = reverse("wholesale_statement")
    if request.method == "GET":
        return redirect(back)
    return pay_in_browser(
        request,
        lambda: invoice_pay_online(
            user=request.user,
            number=invoice.number,
            provider=request.POST.get("provider", ""),
            client_ip=request.META.get("REMOTE_ADDR"),
            return_url=request.build_absolute_uri(back),
        ),
        back=back,
        qr_template="wholesale/pay_qr.html",
        context={"invoice": invoice},
    )


@login_required
def cooperative_receivables(request):
    """The cooperative's receivables from the ledger: what each invoice still owes,
    what is overdue, and the totals (platform staff: every cooperative's)."""
    coop_ids = None if is_platform(request.user) else user_managed_cooperative_ids(request.user)
    if coop_ids is not None and not coop_ids:
        return HttpResponseForbidden(_("Only a cooperative's managers can see its receivables."))
    return render(
        request,
        "wholesale/receivables.html",
        {"statement": wholesale_statement(cooperative_ids=coop_ids)},
    )
