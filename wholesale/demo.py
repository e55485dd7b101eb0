"""Demo wholesale buyer (idempotent): the flour mill 阿勒泰雪峰面粉厂 with the buyer
``mill-buyer`` (password ``farmgate-demo``), a buyer group, a price list on the Jeminay
25 kg flour with tiers from 1, 10 and 100 bags, net-30 credit, and a contract for 60
bags of it in three monthly deliveries (an accepted quote with a quality range)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from accounts.models import User
from catalog.models import Cooperative, Variant

from .constants import OrgRole, OrgStatus, QuoteStatus
from .models import (
    BuyerGroup,
    CreditAccount,
    Organisation,
    OrgMember,
    PriceList,
    PriceTier,
    QuoteRequest,
)

DEMO_PASSWORD = "farmgate-demo"  # noqa: S105 - demo only, named in the README
MILL_CREDIT_CODE = "91654300MA7XK2L3A0"
TIERS = ((1, "172.00"), (10, "165.00"), (100, "155.00"))


def load_wholesale_demo() -> dict:
    coop = Cooperative.objects.filter(slug="jeminay-golden-wheat").first()
    variant = Variant.objects.filter(sku="JMN-BF-25").first()
    if coop is None or variant is None:
        return {}
    user, created = User.objects.get_or_create(
        username="mill-buyer", defaults={"first_name": "马建华"}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    org, _ = Organisation.objects.get_or_create(
        credit_code=MILL_CREDIT_CODE,
        defaults={
            "name": "阿勒泰雪峰面粉厂",
            "invoice_title": "阿勒泰雪峰面粉有限公司",
            "tax_number": MILL_CREDIT_CODE,
            "bank_name": "中国农业银行阿勒泰分行",
            "bank_account": "30-123456789012",
            "address": "新疆阿勒泰市解放路 88 号",
            "delivery_address": {
                "name": "马建华",
                "phone": "13909061111",
                "province": "新疆维吾尔自治区",
                "city": "阿勒泰地区",
                "district": "阿勒泰市",
                "address": "解放路 88 号 雪峰面粉厂 仓库",
                "postcode": "836500",
            },
            "cooperative": coop,
            "status": OrgStatus.APPROVED,
        },
    )
    OrgMember.objects.get_or_create(
        user=user, defaults={"organisation": org, "role": OrgRole.BUYER}
    )
    group, _ = BuyerGroup.objects.get_or_create(cooperative=coop, name="面粉厂 Flour mills")
    group.organisations.add(org)
    price_list, _ = PriceList.objects.get_or_create(
        cooperative=coop,
        name="面粉厂合同价 Mill contract",
        defaults={"group": group, "valid_from": date(2026, 1, 1), "min_order_amount": Decimal("0")},
    )
    for minimum, price in TIERS:
        PriceTier.objects.get_or_create(
            price_list=price_list,
            variant=variant,
            min_quantity=minimum,
            defaults={"unit_price": Decimal(price)},
        )
    CreditAccount.objects.get_or_create(
        organisation=org,
        cooperative=coop,
        defaults={"limit": Decimal("50000.00"), "terms_days": 30},
    )
    _demo_contract(org, variant, user)
    return {"wholesale_buyers": Organisation.objects.count()}


def _demo_contract(org: Organisation, variant: Variant, user: User) -> None:
    from .contracts import quote_accept

    quote, _ = QuoteRequest.objects.get_or_create(
        organisation=org,
        variant=variant,
        schedule="每月 5 日 20 袋 · 20 bags on the 5th (demo)",
        defaults={
            "cooperative_id": variant.product.cooperative_id,
            "quantity": 60,
            "requested_by": user,
            "status": QuoteStatus.QUOTED,
            "unit_price": Decimal("158.00"),
            "valid_until": date(2027, 12, 31),
            "delivery_dates": ["2027-01-05", "2027-02-05", "2027-03-05"],
            "spec": {"protein_pct": ["13.0", "15.0"], "moisture_pct": [None, "14.0"]},
        },
    )
    if quote.status == QuoteStatus.QUOTED:
        member = OrgMember.objects.get(user=user)
        quote_accept(quote=quote, member=member)
