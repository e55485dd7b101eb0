"""Shipment status values, their forward order, and the seeded carriers."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("To pack")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


# A shipment only ever moves forward along this line (cancelled is off it).
FORWARD_RANK: dict[str, int] = {
    ShipmentStatus.PENDING: 0,
    ShipmentStatus.PACKED: 1,
    ShipmentStatus.SHIPPED: 2,
    ShipmentStatus.DELIVERED: 3,
}

# A parcel in these states is still at the cooperative: it can be packed, shipped or
# cancelled (the "to pack" list, the ship button, cancelling an order).
AWAITING_HANDOVER = (ShipmentStatus.PENDING, ShipmentStatus.PACKED)

# A parcel in these states has left the cooperative: its order can no longer be cancelled.
LEFT_COOPERATIVE = frozenset({ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED})

# Allowed single-step transitions of the state machine.
TRANSITIONS: dict[str, frozenset[str]] = {
    ShipmentStatus.PENDING: frozenset({ShipmentStatus.PACKED, ShipmentStatus.CANCELLED}),
    ShipmentStatus.PACKED: frozenset({ShipmentStatus.SHIPPED, ShipmentStatus.CANCELLED}),
    ShipmentStatus.SHIPPED: frozenset({ShipmentStatus.DELIVERED}),
    ShipmentStatus.DELIVERED: frozenset(),
    ShipmentStatus.CANCELLED: frozenset(),
}


class DeliveredBy(models.TextChoices):
    """Who told us a shipment arrived (kept in the tracking event note)."""

    BUYER = "buyer", _("confirmed by the buyer")
    COOPERATIVE = "cooperative", _("marked by the cooperative")
    CARRIER = "carrier", _("reported by the carrier")
    AUTO = "auto", _("delivered automatically after the delivery period")


class CarrierEventStatus(models.TextChoices):
    """What a logistics partner may report. ``in_transit`` only adds a tracking event."""

    SHIPPED = "shipped", _("Picked up")
    IN_TRANSIT = "in_transit", _("In transit")
    DELIVERED = "delivered", _("Delivered")


# Rank of a carrier report on the shipment's forward line.
CARRIER_EVENT_RANK: dict[str, int] = {
    CarrierEventStatus.SHIPPED: FORWARD_RANK[ShipmentStatus.SHIPPED],
    CarrierEventStatus.IN_TRANSIT: FORWARD_RANK[ShipmentStatus.SHIPPED],
    CarrierEventStatus.DELIVERED: FORWARD_RANK[ShipmentStatus.DELIVERED],
}

# Seeded by migration 0002; edited by platform staff in the admin afterwards.
CARRIERS: list[dict[str, str]] = [
    {
        "code": "sf",
        "name": "SF Express 顺丰速运",
        "tracking_url_template": "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}",
    },
    {
        "code": "ems",
        "name": "China Post EMS 中国邮政",
        "tracking_url_template": "https://www.ems.com.cn/qps/yjcx?mailNum={number}",
    },
    {
        "code": "jd",
        "name": "JD Logistics 京东物流",
        "tracking_url_template": "https://www.jdl.com/orderSearch/?waybillCodes={number}",
    },
    {
        "code": "yto",
        "name": "YTO Express 圆通速递",
        "tracking_url_template": "https://www.yto.net.cn/queryWaybill?waybillNo={number}",
    },
    {
        "code": "zto",
        "name": "ZTO Express 中通快递",
        "tracking_url_template": "https://www.zto.com/express/expressCheck.html?txtBill={number}",
    },
    {
        "code": "sto",
        "name": "STO Express 申通快递",
        "tracking_url_template": "https://www.sto.cn/pc/service-page/waybill?bill={number}",
    },
    {
        "code": "yunda",
        "name": "Yunda Express 韵达快递",
        "tracking_url_template": "https://www.yundaex.com/cn/index.php?mailno={number}",
    },
]
