"""The wholesale buyer's pages: overview with the price list and credit, the
application, quotes (accepted into contracts), contracts and their deliveries, and the
invoice PDFs; the cooperative's contracts page. The statement (it reads the payments
ledger) is a lifecycle page (``lifecycle.wholesale_views``). Purchase orders are placed
on a lifecycle page (``lifecycle.views.wholesale_order_new``). Thin views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from catalog.admin_scoping import is_platform
from catalog.models import Variant
from catalog.selectors import user_managed_cooperative_ids
from storefront.errors import ApplicationError, NotFound
from storefront.pages import form_add_error, message_error

from . import contracts, selectors, services
from .exceptions import NotWholesaleBuyer
from .forms import ApplyForm, QuoteForm
from .models import Invoice


def _member_or_none(request):
    try:
        return services.buyer_for(request.user)
    except NotWholesaleBuyer:
        return None


@login_required
def home(request):
    member = _member_or_none(request)
    if member is None:
        pending = getattr(request.user, "wholesale_membership", None)
        return render(request, "wholesale/welcome.html", {"pending": pending})
    org = member.organisation
    return render(
        request,
        "wholesale/home.html",
        {
            "member": member,
            "org": org,
            "sheet": selectors.price_sheet(org),
            "statement": selectors.statement(organisation_id=org.pk),
            "orders": selectors.purchase_orders(org.pk)[:5],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def apply(request):
    if getattr(request.user, "wholesale_membership", None) is not None:
        return redirect("wholesale_home")
    form = ApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_apply(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_add_error(form, exc)
        else:
            messages.success(request, _("Thank you: the cooperative will review your application."))
            return redirect("wholesale_home")
    return render(
        request, "wholesale/apply.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def quotes(request):
    member = _member_or_none(request)
    if member is None:
        return redirect("wholesale_home")
    form = QuoteForm(request.POST or None, initial={"variant": request.GET.get("variant")})
    if request.method == "POST" and form.is_valid():
        variant = (
            Variant.objects.select_related("product")
            .filter(pk=form.cleaned_data["variant"], is_active=True)
            .first()
        )
        try:
            if variant is None:
                raise NotFound()
            services.quote_request(
                member=member,
                variant=variant,
                quantity=form.cleaned_data["quantity"],
                schedule=form.cleaned_data["schedule"],
            )
        except ApplicationError as exc:
            message_error(request, exc)
        else:
            messages.success(request, _("Your request for a quote was sent."))
        return redirect("wholesale_quotes")
    sheet = selectors.price_sheet(member.organisation)
    return render(
        request,
        "wholesale/quotes.html",
        {"form": form, "quotes": selectors.quotes(member.organisation_id), "sheet": sheet},
    )


@login_required
@require_http_methods(["POST"])
def quote_accept(request, pk: int):
    member = _member_or_none(request)
    if member is None:
        return redirect("wholesale_home")
    try:
        quote = selectors.quote_get(pk=pk, organisation_id=member.organisation_id)
    except NotFound:
        raise Http404 from None
    try:
        contract = contracts.quote_accept(quote=quote, member=member)
    except ApplicationError as exc:
        message_error(request, exc)
        return redirect("wholesale_quotes")
    messages.success(
        request,
        _("Quote accepted: contract %(number)s, %(count)d deliveries scheduled.")
        % {"number": contract.number, "count": contract.deliveries.count()},
    )
    return redirect("wholesale_contracts")


@login_required
def contract_list(request):
    member = _member_or_none(request)
    if member is None:
        return redirect("wholesale_home")
    rows = selectors.contracts_for(organisation_id=member.organisation_id)
    return render(request, "wholesale/contracts.html", {"contracts": rows, "buyer": True})


@login_required
def cooperative_contracts(request):
    """The cooperative's side: its contracts and every delivery (waiting ones say why);
    platform staff see every cooperative's."""
    coop_ids = None if is_platform(request.user) else user_managed_cooperative_ids(request.user)
    if coop_ids is not None and not coop_ids:
        return HttpResponseForbidden(_("Only a cooperative's managers can see its contracts."))
    rows = selectors.contracts_for(cooperative_ids=coop_ids)
    return render(request, "wholesale/contracts.html", {"contracts": rows, "buyer": False})


@login_required
def invoice_pdf(request, number: str):
    member = _member_or_none(request)
    invoice = (
        Invoice.objects.filter(
            number=number, organisation_id=getattr(member, "organisation_id", None)
        )
        .select_related("wholesale_order__order", "credits")
        .first()
    )
    if invoice is None:
        raise Http404
    from .pdf import render_invoice

    response = HttpResponse(render_invoice(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
    return response
