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
