"""The account page's form: how the person hears about their orders."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class NotificationSettingsForm(forms.Form):
    email = forms.BooleanField(label=_("By e-mail"), required=False)
    sms = forms.BooleanField(label=_("By text message"), required=False)
    language = forms.ChoiceField(
        label=_("Language of e-mails and text messages"), choices=settings.LANGUAGES
    )

    def __init__(self, *args, possible: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        if not possible["email"]:
            self.fields["email"].help_text = _("Your account has no e-mail address.")
        if not possible["sms"]:
            self.fields["sms"].help_text = _(
                "Text messages go only to a mobile number you signed in with by a code."
            )
