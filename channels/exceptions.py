"""Failures of the offline channel, each with a stable code."""

from django.utils.translation import gettext_lazy as _

from storefront.errors import ApplicationError, InvalidInput, InvalidState, NotFound


class NotAnAgent(ApplicationError):
    code = "not_an_agent"
    status_code = 403
    default_message = _("You are not an agent of this store or station.")


class PlaceNotFound(NotFound):
    code = "place_not_found"
    default_message = _("No such store or station.")


class WrongPickupCode(InvalidInput):
    code = "wrong_pickup_code"
    default_message = _("No order waiting at this station has that pickup code.")


class AlreadyCollected(InvalidState):
    code = "already_collected"
    default_message = _("This order has been collected already.")


class NotReadyForPickup(InvalidState):
    code = "not_ready_for_pickup"
    default_message = _("This order has not reached the station yet.")


class NotAPickupPoint(InvalidInput):
    code = "not_a_pickup_point"
    default_message = _("This place is not a pickup point.")


class UnknownStation(InvalidInput):
    code = "unknown_station"
    default_message = _("No open pickup station has that name.")


class NotAStoreManager(ApplicationError):
    code = "not_a_store_manager"
    status_code = 403
    default_message = _("Only the store's manager can confirm the cash handed over.")


class CashNotClosed(InvalidState):
    code = "cash_not_closed"
    default_message = _("This clerk's cash for that day has not been closed yet.")


class CashDayClosed(InvalidState):
    code = "cash_day_closed"
    default_message = _(
        "You closed today's cash already: take this payment by wallet, or tomorrow."
    )


class NoVillagerPhone(InvalidInput):
    code = "no_phone"
    default_message = _("This order has no villager's phone to text.")
