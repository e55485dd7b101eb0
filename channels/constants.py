from django.db import models
from django.utils.translation import gettext_lazy as _

#: Order.channel of an order placed by a station agent / sold at a store counter.
CHANNEL_STATION = "station"
CHANNEL_COUNTER = "counter"

#: Basis points in one (commission rates are whole basis points, 0..10000).
BASIS_POINTS = 10000
PICKUP_CODE_DIGITS = 6


class PlaceKind(models.TextChoices):
    STORE = "store", _("county store")
    STATION = "station", _("village service station")
