"""The user model: a custom one from day one, with a phone number; sign-in codes sent by SMS."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 -]{5,19}$",
    message=_("Enter a phone number of digits, spaces or dashes, e.g. 13800138000."),
    code="invalid_phone",
)


class User(AbstractUser):
    # E.164 (``+8613800138000``), written by ``accounts.services`` through
    # ``storefront.phones``; unique, so that a sign-in code opens exactly one account.
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    phone_verified = models.BooleanField(
        _("phone verified"),
        default=False,
        help_text=_("The person proved the number is theirs by entering a code sent to it."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("E-mails to this person are written in it (the site default when empty)."),
    )
    is_platform_staff = models.BooleanField(
        _("platform staff"),
        default=False,
        help_text=_("Sees and manages every cooperative in the admin (not scoped)."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=~Q(phone=""), name="user_phone_unique"
            )
        ]

    @property
    def is_platform(self) -> bool:
        """Platform staff see everything; cooperative managers see only their own."""
        return bool(self.is_active and (self.is_superuser or self.is_platform_staff))


class SmsLoginCode(models.Model):
    """A six-digit sign-in code sent to a number. Only its keyed hash is stored
    (HMAC-SHA256 with ``SECRET_KEY``, over the number and the code): a copy of the table
    opens no account. The newest unused code of a number is the only one that counts."""

    phone = models.CharField(_("phone"), max_length=20)
    code_hash = models.CharField(_("code hash"), max_length=64, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(
        _("used at"),
        null=True,
        blank=True,
        help_text=_("Used to sign in, or replaced by a newer code."),
    )

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [models.Index(fields=["phone", "-created"], name="smscode_phone_created_idx")]

    def __str__(self) -> str:
        return f"{self.phone} {self.created:%Y-%m-%d %H:%M}"
