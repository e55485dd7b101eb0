"""Sign-up and log-in forms of the storefront pages (rules live in ``accounts.services``)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class SignUpForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone (optional)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )


class LogInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong username or password."),
        "inactive": _("This account is disabled."),
    }


def _focused_ltr_field(label, max_length: int, **attrs) -> forms.CharField:
    """The one field of an SMS sign-in step: focused, and read left to right (digits
    read left to right in Uyghur pages too)."""
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.TextInput(attrs={**attrs, "autofocus": True, "dir": "ltr"}),
    )


class SmsPhoneForm(forms.Form):
    phone = _focused_ltr_field(
        _("Mobile phone"), 32, type="tel", autocomplete="tel", inputmode="tel"
    )


class SmsCodeForm(forms.Form):
    code = _focused_ltr_field(
        _("Code from the text message"),
        12,
        autocomplete="one-time-code",
        inputmode="numeric",
        pattern="[0-9]*",
        maxlength=6,
    )
