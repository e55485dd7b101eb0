"""Admin actions that run a lifecycle flow, on other apps' models: refunding a payment,
submitting a refund again, retrying a failed refund (a completed refund moves the order on).

The ModelAdmins are the payments app's; they are registered again here with these
actions, so payments' admin never imports the flows above it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from catalog.admin_scoping import is_platform
from groupbuy.admin import PreSaleAdmin
from groupbuy.models import PreSale
from payments.admin import PaymentAdmin, RefundAdmin
from payments.models import Payment, Refund
from payments.providers import ProviderError, ProviderUnavailable
from storefront.errors import ApplicationError

from . import services


def _platform_only(request, actions: dict, *names: str) -> dict:
    if not is_platform(request.user):
        for name in names:
            actions.pop(name, None)
    return actions


class LifecyclePaymentAdmin(PaymentAdmin):
    actions = ["refund_payments"]

    def get_actions(self, request):
        return _platform_only(request, super().get_actions(request), "refund_payments")

    @admin.action(description=_("Refund selected payments (late or duplicate payments)"))
    def refund_payments(self, request, queryset):
        for payment in queryset:
            try:
                refund = services.payment_refund(payment=payment, reason="refunded by staff")
            except ApplicationError as exc:
                self.message_user(request, f"{payment}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{payment}: refund {refund.out_refund_no} started")


class LifecycleRefundAdmin(RefundAdmin):
    actions = ["submit_again", "retry_failed"]

    def get_actions(self, request):
        return _platform_only(request, super().get_actions(request), "retry_failed")

    @admin.action(description=_("Retry selected failed refunds (a new refund each)"))
    def retry_failed(self, request, queryset):
        for refund in queryset.order_by("pk"):
            try:
                retry = services.refund_retry(refund_id=refund.pk)
            except ApplicationError as exc:
                self.message_user(request, f"{refund}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{refund}: refund {retry.out_refund_no} started")

    @admin.action(description=_("Submit selected pending refunds to the provider again"))
    def submit_again(self, request, queryset):
        for refund in queryset:
            try:
                refund = services.refund_submit(refund_id=refund.pk)
            except (ProviderError, ProviderUnavailable) as exc:
                self.message_user(request, f"{refund}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{refund.out_refund_no}: {refund.status}")


for model, model_admin in ((Payment, LifecyclePaymentAdmin), (Refund, LifecycleRefundAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)


# --- pre-sales: the conversion at harvest --------------------------------------
class LifecyclePreSaleAdmin(PreSaleAdmin):
    """The pre-sale admin with its conversion: the manager names the harvest's shortfall
    (units) on a confirmation page; the latest orders are refunded first."""

    actions = ["convert_at_harvest"]

    @admin.action(description=_("Convert at harvest (name the shortfall)"))
    def convert_at_harvest(self, request, queryset):
        if "shortfall" not in request.POST:
            return TemplateResponse(
                request,
                "admin/groupbuy/presale_convert.html",
                {
                    **self.admin_site.each_context(request),
                    "presales": queryset,
                    "opts": self.model._meta,
                },
            )
        try:
            shortfall = int(request.POST["shortfall"])
        except ValueError:
            self.message_user(
                request, _("The shortfall is a whole number of units."), messages.ERROR
            )
            return None
        for presale in queryset:
            try:
                counts = services.presale_convert(presale_id=presale.pk, shortfall=shortfall)
            except ApplicationError as exc:
                self.message_user(request, f"{presale}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(presale)s: %(converted)d orders to pack, %(refunded)d refunded.")
                    % {"presale": presale, **counts},
                    messages.SUCCESS,
                )
        return None


admin.site.unregister(PreSale)
admin.site.register(PreSale, LifecyclePreSaleAdmin)
# --- wholesale: a delivered purchase order's invoice, with its batch certificate --------
from wholesale.admin import WholesaleOrderAdmin  # noqa: E402
from wholesale.models import WholesaleOrder  # noqa: E402


class LifecycleWholesaleOrderAdmin(WholesaleOrderAdmin):
    actions = ["issue_invoices"]

    @admin.action(description=_("Issue the invoice of selected delivered purchase orders"))
    def issue_invoices(self, request, queryset):
        from .services.wholesale import wholesale_invoice_issue

        for wo in queryset.select_related("order"):
            try:
                invoice = wholesale_invoice_issue(wholesale_order=wo)
            except ApplicationError as exc:
                self.message_user(request, f"{wo}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{wo}: {invoice.number}")


admin.site.unregister(WholesaleOrder)
admin.site.register(WholesaleOrder, LifecycleWholesaleOrderAdmin)


# --- partial refunds: weighing at packing, units of a line given back ------------------
from django.http import Http404, HttpResponseRedirect  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.urls import path, reverse  # noqa: E402
from django.utils.html import format_html  # noqa: E402
from django.utils.translation import gettext  # noqa: E402

from catalog.admin_scoping import managed_ids  # noqa: E402
from fulfilment.admin import ShipmentAdmin  # noqa: E402
from fulfilment.models import Shipment  # noqa: E402
from orders.admin import OrderAdmin  # noqa: E402
from orders.models import Order  # noqa: E402

from .forms import RefundUnitsForm, WeighForm  # noqa: E402
from .services.partial import line_net, lines_units_refunded  # noqa: E402


def _scope(request) -> set[int] | None:
    """The cooperatives a person acts for (None: platform staff, every one)."""
    return None if is_platform(request.user) else managed_ids(request)


class LifecycleShipmentAdmin(ShipmentAdmin):
    """The parcel admin with the weighing form: a parcel holding lines sold by weight
    gets a "Weigh" button; the form records the actual grams per line (who and when)
    and the difference is refunded once, however often it is saved."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<id:pk>/weigh/", wrap(self.weigh_view), name="fulfilment_shipment_weigh"),
            *super().get_urls(),
        ]

    @admin.display(description=_("actions"))
    def tools(self, shipment):
        shown = super().tools(shipment)
        if any(ln.order_line.price_per_kg is not None for ln in shipment.lines.all()):
            weigh = format_html(
                '<a class="button" href="{}">{}</a>',
                reverse("admin:fulfilment_shipment_weigh", args=[shipment.pk]),
                _("Weigh"),
            )
            return format_html("{} {}", weigh, shown)
        return shown

    def weigh_view(self, request, pk: int):
        shipment = self._get_scoped(request, pk)
        lines = [
            ln.order_line
            for ln in shipment.lines.select_related("order_line__weighed_by").order_by("id")
            if ln.order_line.price_per_kg is not None
        ]
        form = WeighForm(request.POST or None, lines=lines)
        if request.method == "POST" and form.is_valid():
            failed = False
            for line, grams in form.weights():
                try:
                    result = services.line_weigh(
                        line_id=line.pk,
                        grams=grams,
                        by=request.user,
                        cooperative_ids=_scope(request),
                    )
                except ApplicationError as exc:
                    failed = True
                    form.add_error(None, f"{line.title}: {gettext(exc.message)}")
                    continue
                line.refresh_from_db()
                back = result.refund.amount if result.refund is not None else 0
                self.message_user(
                    request,
                    _("%(title)s: %(grams)d g, final %(amount)s, refunded %(back)s.")
                    % {
                        "title": line.title,
                        "grams": grams,
                        "amount": line.final_amount,
                        "back": back,
                    },
                    messages.SUCCESS,
                )
            if not failed:
                return HttpResponseRedirect(request.path)
        return render(
            request,
            "admin/fulfilment/shipment/weigh.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Weigh %(shipment)s") % {"shipment": shipment},
                "form": form,
                "rows": form.rows(),
                "shipment": shipment,
                "opts": self.model._meta,
            },
        )


class LifecycleOrderAdmin(OrderAdmin):
    """The order page with "refund units": a cooperative manager gives back units of
    their own lines (what they cost after their share of the discount)."""

    readonly_fields = (*OrderAdmin.readonly_fields, "partial_refund")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<id:pk>/refund-units/",
                wrap(self.refund_units_view),
                name="orders_order_refund_units",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("partial refund"))
    def partial_refund(self, order):
        if order.pk is None:
            return ""
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:orders_order_refund_units", args=[order.pk]),
            _("Refund units of a line"),
        )

    def refund_units_view(self, request, pk: int):
        order = self.get_queryset(request).filter(pk=pk).first()
        if order is None or not self.has_view_permission(request, order):
            raise Http404
        lines = list(order.shown_lines)
        refunded = lines_units_refunded(lines)
        for line in lines:
            line.refunded_units = refunded[line.pk]
            line.net = line_net(line)
        form = RefundUnitsForm(request.POST or None, lines=lines)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = services.line_refund_units(
                    line_id=data["line"].pk,
                    units=data["units"],
                    already=data["already"],
                    by=request.user,
                    cooperative_ids=_scope(request),
                )
            except ApplicationError as exc:
                form.add_error(None, gettext(exc.message))
            else:
                self.message_user(
                    request,
                    _("Refund %(no)s of %(amount)s started.")
                    % {"no": result.refund.out_refund_no, "amount": result.refund.amount},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(request.path)
        return render(
            request,
            "admin/orders/order/refund_units.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Refund units of order %(number)s") % {"number": order.number},
                "form": form,
                "lines": lines,
                "order": order,
                "opts": self.model._meta,
            },
        )


admin.site.unregister(Shipment)
admin.site.register(Shipment, LifecycleShipmentAdmin)
admin.site.unregister(Order)
admin.site.register(Order, LifecycleOrderAdmin)
