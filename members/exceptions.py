"""Failures of the members app, each with a stable code."""

from django.utils.translation import gettext_lazy as _

from storefront.errors import InvalidInput


class NoHouseholdsToShare(InvalidInput):
    code = "no_households"
    default_message = _("No active household has a share under this rule.")
