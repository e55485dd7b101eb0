"""Demo marketing (idempotent, README "Marketing"): the running harvest festival
``harvest2026`` featuring Jeminay flour at a campaign price, and the platform-funded
voucher ``FESTIVAL10`` (10 % off goods from ¥50, whole site, 1,000 uses, 1 per buyer)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from catalog.models import Variant

from .constants import VoucherKind, VoucherScope
from .models import Campaign, CampaignItem, Voucher

CAMPAIGN_CODE = "harvest2026"
VOUCHER_CODE = "FESTIVAL10"
# sku, campaign price (None: featured at the list price)
FEATURED = [("JMN-BF-5", "32.90"), ("JMN-BF-10", "62.00"), ("JMN-WW-5", None)]


def _banner() -> ContentFile | None:
    try:
        from catalog import demo_art
        from catalog.images import clean_photo

        raw = demo_art.render("flour", seed=2026, text="harvest 2026")
        clean = clean_photo(ContentFile(raw, name="banner.jpg"))
        return ContentFile(clean.content, name=f"banner.{clean.extension}")
    except Exception:  # a demo without Pillow's fonts still loads
        return None


# Every language's column named (marketing/translation.py); the Uyghur texts want a
# native speaker's review.
CAMPAIGN_TEXTS = {
    "title_zh_hans": "吉木乃丰收节 2026",
    "title_ug": "جېمىنەي ھوسۇل بايرىمى 2026",
    "title_en": "Jeminay Harvest Festival 2026",
    "description_zh_hans": "新麦上市：金麦田面粉节日价，满50元再享九折（FESTIVAL10）。",
    "description_ug": "يېڭى ھوسۇل ئۇنى بايرام باھاسىدا؛ 50 يۈەندىن ئاشسا FESTIVAL10 بىلەن"
    " %10 ئېتىبار.",
    "description_en": "New-harvest flour from Jeminay at festival prices; 10 % off from ¥50 "
    "with FESTIVAL10.",
}


def load_marketing_demo() -> dict:
    now = timezone.now()
    campaign = Campaign.objects.filter(code__iexact=CAMPAIGN_CODE).first()
    if campaign is None:
        campaign = Campaign(
            code=CAMPAIGN_CODE,
            starts=now - timedelta(days=1),
            ends=now + timedelta(days=90),
            **CAMPAIGN_TEXTS,
        )
        banner = _banner()
        if banner is not None:
            campaign.banner.save(banner.name, banner, save=False)
        campaign.save()
    else:
        fields = []
        if campaign.ends <= now:  # an old demo database: keep the festival running
            campaign.ends = now + timedelta(days=90)
            fields.append("ends")
        if not campaign.title_ug:  # made before the campaign texts had languages
            for name, text in CAMPAIGN_TEXTS.items():
                setattr(campaign, name, text)
            fields += list(CAMPAIGN_TEXTS)
        if fields:
            campaign.save(update_fields=fields)
    for sku, price in FEATURED:
        variant = Variant.objects.filter(sku=sku).first()
        if variant is not None:
            CampaignItem.objects.get_or_create(
                campaign=campaign,
                variant=variant,
                defaults={"campaign_price": Decimal(price) if price else None},
            )
    voucher = Voucher.objects.filter(code__iexact=VOUCHER_CODE).first()
    if voucher is None:
        Voucher.objects.create(
            code=VOUCHER_CODE,
            kind=VoucherKind.PERCENT,
            value=Decimal("10"),
            min_spend=Decimal("50.00"),
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=365),
            total_limit=1000,
            per_buyer_limit=1,
            scope=VoucherScope.SITE,
        )
    elif voucher.valid_until <= now:
        voucher.valid_until = now + timedelta(days=365)
        voucher.save(update_fields=["valid_until"])
    return {"campaigns": Campaign.objects.count(), "vouchers": Voucher.objects.count()}
