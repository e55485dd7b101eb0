"""The refusals of a voucher at checkout (API.md: 400, or 409 for ``voucher_exhausted``)."""

from django.utils.translation import gettext_noop

from storefront.errors import ApplicationError, Conflict


class VoucherInvalid(ApplicationError):
    code = "voucher_invalid"
    default_message = gettext_noop("There is no such voucher.")


class VoucherExpired(ApplicationError):
    code = "voucher_expired"
    default_message = gettext_noop("This voucher is not valid at this time.")


class VoucherNotApplicable(ApplicationError):
    code = "voucher_not_applicable"
    default_message = gettext_noop("This voucher does not apply to anything in this order.")


class VoucherMinSpend(ApplicationError):
    code = "voucher_min_spend"
    default_message = gettext_noop("The order does not reach this voucher's minimum spend.")


class VoucherExhausted(Conflict):
    code = "voucher_exhausted"
    default_message = gettext_noop("This voucher has been used up.")


class CheckoutChanged(Conflict):
    """The cart changed between pricing the voucher and placing the order (retried)."""

    code = "checkout_changed"
    default_message = gettext_noop(
        "Your cart changed while the order was placed; please try again."
    )
