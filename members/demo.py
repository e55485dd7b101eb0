"""Demo households of the Jeminay cooperative, with produce payments and a dividend, so
that the impact report has something to show on `make run` (idempotent)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import Cooperative

from . import services
from .constants import DividendRule
from .models import Household, HouseholdPayment

# name, village, registered poor, shares held, kg delivered this month
HOUSEHOLDS = [
    ("努尔兰·别克", "托斯特乡", True, 2, 620),
    ("阿依古丽·吐尔逊", "托斯特乡", True, 1, 480),
    ("马合沙提", "乌拉斯特镇", True, 1, 350),
    ("王建国", "乌拉斯特镇", False, 3, 900),
    ("古丽米拉", "恰勒什海乡", True, 1, 410),
    ("叶尔兰", "恰勒什海乡", True, 2, 560),
    ("张秀英", "托斯特乡", False, 2, 700),
    ("巴合提别克", "乌拉斯特镇", True, 1, 300),
]
WHEAT_PRICE_PER_KG = Decimal("2.60")


def load_households_demo() -> dict:
    coop = Cooperative.objects.filter(slug="jeminay-golden-wheat").first()
    if coop is None:
        return {}
    households = []
    for name, village, poor, shares, _kg in HOUSEHOLDS:
        household = Household.objects.filter(cooperative=coop, name=name).first()
        if household is None:
            household = services.household_register(
                cooperative=coop,
                name=name,
                village=village,
                registered_poor=poor,
                share_units=shares,
            )
        households.append(household)
    if not HouseholdPayment.objects.filter(cooperative=coop).exists():
        today = timezone.localdate()
        for months_ago in (2, 1, 0):
            paid_on = (today.replace(day=1) - timedelta(days=31 * months_ago)).replace(day=10)
            paid_on = min(paid_on, today)
            for household, (*_rest, kg) in zip(households, HOUSEHOLDS, strict=True):
                delivered = Decimal(kg - 60 * months_ago)
                services.produce_payment_record(
                    household=household,
                    paid_on=paid_on,
                    amount=(delivered * WHEAT_PRICE_PER_KG).quantize(Decimal("0.01")),
                    quantity_kg=delivered,
                    note="春小麦交售 spring wheat delivered",
                )
        services.dividend_distribute(
            cooperative=coop,
            amount=Decimal("12000.00"),
            paid_on=today,
            rule=DividendRule.SHARE_UNITS,
            note="年度分红 yearly dividend",
        )
    return {"households": Household.objects.filter(cooperative=coop).count()}
