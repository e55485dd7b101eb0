"""The account page where a buyer chooses how they hear about their orders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from storefront.errors import InvalidInput
from storefront.pages import form_add_error

from . import services
from .forms import NotificationSettingsForm


@login_required
def notification_settings(request):
    user = request.user
    preference = services.preference_for(user=user)
    initial = {
        "email": preference.email,
        "sms": preference.sms,
        "language": services.language_of(user),
    }
    form = NotificationSettingsForm(
        request.POST or None,
        initial=initial,
        possible=services.channels_possible(user=user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preferences_update(user=user, **form.cleaned_data)
        except InvalidInput as exc:
            form_add_error(form, exc)
        else:
            messages.success(request, _("Saved: this is how we will tell you about your orders."))
            return redirect("notification_settings")
    return render(request, "notifications/settings.html", {"form": form})
