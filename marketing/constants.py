from django.db import models
from django.utils.translation import gettext_lazy as _


class VoucherKind(models.TextChoices):
    FIXED = "fixed", _("Fixed amount")
    PERCENT = "percent", _("Percent of the goods")


class VoucherScope(models.TextChoices):
    SITE = "site", _("Whole site")
    COUNTY = "county", _("One county")
    COOPERATIVE = "cooperative", _("One cooperative")
    CATEGORY = "category", _("One category")
    PRODUCTS = "products", _("Listed products")


#: The session keys that hold a signed-out visitor's campaign codes (first, last touch).
SESSION_FIRST = "campaign_first"
SESSION_LAST = "campaign_last"
