"""Tables of the shared helpers (no business data): rate-limit counters."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateLimit(models.Model):
    """One fixed-window counter per key (``smscode:phone:+86138…:60``), see ``ratelimit``."""

    key = models.CharField(_("key"), max_length=200, primary_key=True)
    window_start = models.DateTimeField(_("window start"))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("rate limit")
        verbose_name_plural = _("rate limits")
        indexes = [models.Index(fields=["window_start"], name="ratelimit_window_idx")]

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
