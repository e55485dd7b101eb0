"""The user model: a custom one from day one, with a phone number."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 -]{5,19}$",
    message=_("Enter a phone number of digits, spaces or dashes, e.g. 13800138000."),
    code="invalid_phone",
)


class User(AbstractUser):
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
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

    @property
    def is_platform(self) -> bool:
        """Platform staff see everything; cooperative managers see only their own."""
        return bool(self.is_active and (self.is_superuser or self.is_platform_staff))
