"""Choices used by the catalogue, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_REVIEW = "pending_review", _("Pending review")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    ARCHIVED = "archived", _("Archived")


class MembershipRole(models.TextChoices):
    FARMER = "farmer", _("Farmer")
    MANAGER = "manager", _("Manager")


class CertificationKind(models.TextChoices):
    ORGANIC = "organic", _("Organic")
    GREEN_FOOD = "green_food", _("Green food")
    GEOGRAPHICAL_INDICATION = "geographical_indication", _("Geographical indication")
    LAB_REPORT = "lab_report", _("Lab report")


class StockReason(models.TextChoices):
    """Why a variant's stock moved (one ``StockMovement`` row per change)."""

    RECEIPT = "receipt", _("Goods received")
    SALE = "sale", _("Sold")
    CANCELLATION = "cancellation", _("Order cancelled")
    EXPIRY = "expiry", _("Unpaid order expired")
    CORRECTION = "correction", _("Count corrected")
    RETURN = "return", _("Goods returned")


class AuditAction(models.TextChoices):
    """What an audit event records (``catalog.audit``); stock has its own movements."""

    PRICE = "price", _("Price changed")
    LISTING = "listing", _("Listing status changed")
    MEMBERSHIP = "membership", _("Membership changed")
    PAYOUT = "payout", _("Payout")


class Pricing(models.TextChoices):
    """How a variant is sold: per unit, or per kilogram with an estimated weight."""

    UNIT = "unit", _("Per unit")
    WEIGHT = "weight", _("By weight (per kg)")
