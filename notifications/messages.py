"""The words of each kind of notice, in the three languages of the shop.

A kind names the context it needs, the SMS template variables in their order (what a
provider's approved template takes: ``SMS_*_TEMPLATES`` map the kind to its id), and a
title, a body (the in-app notice and the e-mail) and a text message. The strings are
gettext messages translated in ``locale/``; they are rendered in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

from .constants import Channel, NotificationKind


@dataclass(frozen=True)
class Message:
    needs: tuple[str, ...]
    title: str
    body: str
    sms: str
    #: ``(name, line)``: a line added to the body (the in-app notice and the e-mail) when
    #: the context has a value for ``name``; never in the text message (a tracking link).
    extras: tuple[tuple[str, str], ...] = ()
    #: The channels besides the in-app list this kind may use (``None``: all the person
    #: chose). "To pack" has its own richer e-mail (``fulfilment.notifications``).
    channels: tuple[str, ...] | None = None

    def sms_params(self, context: dict) -> dict[str, str]:
        return {name: str(context[name]) for name in self.needs}


MESSAGES: dict[str, Message] = {
    NotificationKind.ORDER_PLACED: Message(
        needs=("number", "total"),
        title=_("Order %(number)s received"),
        body=_(
            "Thank you! We received order %(number)s: ¥%(total)s with shipping. Pay within "
            "30 minutes to keep the items; we will tell you when the payment arrives."
        ),
        sms=_("[Farmgate] Order %(number)s received (¥%(total)s). Pay within 30 minutes."),
    ),
    NotificationKind.ORDER_PAID: Message(
        needs=("number", "total"),
        title=_("Order %(number)s is paid"),
        body=_(
            "We received ¥%(total)s for order %(number)s. The cooperatives are packing it; "
            "we will tell you when it ships."
        ),
        sms=_("[Farmgate] Order %(number)s is paid (¥%(total)s). We will tell you when it ships."),
    ),
    NotificationKind.ORDER_SHIPPED: Message(
        needs=("number", "carrier", "tracking_number"),
        title=_("Order %(number)s has shipped"),
        body=_(
            "A parcel of order %(number)s is on its way with %(carrier)s, tracking number "
            "%(tracking_number)s."
        ),
        extras=(("tracking_url", _("Follow your parcel: %(tracking_url)s")),),
        sms=_(
            "[Farmgate] Order %(number)s has shipped: %(carrier)s, tracking number "
            "%(tracking_number)s."
        ),
    ),
    NotificationKind.ORDER_READY_FOR_PICKUP: Message(
        needs=("number", "station", "pickup_code"),
        title=_("Order %(number)s is ready for pickup"),
        body=_(
            "Order %(number)s is waiting for you at %(station)s. Show the pickup code "
            "%(pickup_code)s there."
        ),
        sms=_("[Farmgate] Order %(number)s is ready at %(station)s. Pickup code: %(pickup_code)s."),
        # The text message goes to the phone on the order (the villager's or the
        # buyer's pickup contact), once per order, by ``notify_phone_in_flow``.
        channels=(Channel.EMAIL,),
    ),
    NotificationKind.ORDER_PAY_LINK: Message(
        needs=("number", "total", "pay_url"),
        title=_("Pay order %(number)s"),
        body=_("Order %(number)s placed for you at the station: ¥%(total)s. Pay here: %(pay_url)s"),
        sms=_("[Farmgate] Order %(number)s: ¥%(total)s. Pay with your wallet: %(pay_url)s"),
        # Only the text message, to the villager's phone on the order (no account):
        # ``notify_phone_in_flow`` from ``lifecycle.services.station_pay_link_send``.
        channels=(),
    ),
    NotificationKind.ORDER_REFUNDED: Message(
        needs=("number", "amount"),
        title=_("Refund for order %(number)s done"),
        body=_(
            "We refunded ¥%(amount)s for order %(number)s to the account you paid with. "
            "It may take a few days to show."
        ),
        sms=_("[Farmgate] ¥%(amount)s for order %(number)s has been refunded."),
    ),
    NotificationKind.LISTING_APPROVED: Message(
        needs=("title",),
        title=_("%(title)s is on sale"),
        body=_("A manager approved %(title)s: buyers can find it in the shop now."),
        sms=_("[Farmgate] %(title)s was approved and is on sale."),
    ),
    NotificationKind.LISTING_REJECTED: Message(
        needs=("title", "reason"),
        title=_("%(title)s was sent back"),
        body=_(
            "A manager sent %(title)s back: %(reason)s Fix it in the farm portal and send it again."
        ),
        sms=_("[Farmgate] %(title)s was sent back: %(reason)s"),
    ),
    NotificationKind.SOLD: Message(
        needs=("number", "items"),
        title=_("Sold: %(items)s"),
        body=_("Order %(number)s bought %(items)s. The cooperative will pack it."),
        sms=_("[Farmgate] Sold in order %(number)s: %(items)s."),
    ),
    NotificationKind.LOW_STOCK: Message(
        needs=("item", "stock"),
        title=_("%(item)s is running low"),
        body=_("Only %(stock)s of %(item)s are left. Add what came in on the stock page."),
        sms=_("[Farmgate] Only %(stock)s of %(item)s are left."),
    ),
    NotificationKind.TO_PACK: Message(
        needs=("number", "items"),
        title=_("To pack: order %(number)s"),
        body=_("Order %(number)s is paid: pack %(items)s."),
        sms=_("[Farmgate] To pack: order %(number)s, %(items)s."),
        channels=(),
    ),
    NotificationKind.LISTING_TO_REVIEW: Message(
        needs=("title",),
        title=_("%(title)s waits for your review"),
        body=_("A farmer sent %(title)s for review. Approve it or send it back with a reason."),
        sms=_("[Farmgate] %(title)s waits for your review."),
    ),
    NotificationKind.PAID_ORDER_CANCELLED: Message(
        needs=("number",),
        title=_("Order %(number)s was cancelled"),
        body=_(
            "The buyer cancelled paid order %(number)s: do not pack it. The stock is back "
            "on sale and the buyer is refunded."
        ),
        sms=_("[Farmgate] Paid order %(number)s was cancelled: do not pack it."),
    ),
    NotificationKind.PAYOUT_MADE: Message(
        needs=("amount", "reference"),
        title=_("Payout of ¥%(amount)s"),
        body=_("A payout of ¥%(amount)s (reference %(reference)s) is on its way to the bank."),
        sms=_("[Farmgate] Payout of ¥%(amount)s, reference %(reference)s."),
    ),
}


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    sms: str


def render(kind: str, context: dict, *, language: str) -> Rendered:
    """The notice in ``language`` (an unknown kind or missing value renders as a plain
    fallback rather than failing a page: the service checks both on the way in)."""
    message = MESSAGES.get(kind)
    with translation.override(language):
        if message is None:
            text = gettext("You have a new notice.")
            return Rendered(title=text, body=text, sms=text)
        values = {name: context.get(name, "") for name in message.needs}
        body = gettext(message.body) % values
        for name, line in message.extras:
            if context.get(name):
                body += "\n\n" + gettext(line) % {name: context[name]}
        return Rendered(
            title=gettext(message.title) % values,
            body=body,
            sms=gettext(message.sms) % values,
        )
