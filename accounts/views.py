"""Storefront account pages: sign up, log in, log out."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.debug import sensitive_post_parameters

from sms.exceptions import SmsUnavailable
from storefront.client_ip import client_ip
from storefront.errors import ApplicationError, InvalidInput
from storefront.pages import form_add_error
from storefront.phones import phone_masked

from . import selectors, services
from .exceptions import Throttled
from .forms import LogInForm, SignUpForm, SmsCodeForm, SmsPhoneForm
from .lockout import RegisterThrottle

SMS_PHONE_SESSION_KEY = "sms_login_phone"


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@sensitive_post_parameters("password")
def signup(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and not RegisterThrottle().allow_request(request, None):
        # The API's sign-up limit, one counter per client address for both.
        form.add_error(None, _("Too many sign-ups from here. Please try again in a few minutes."))
        context = {"form": form, "next": _safe_next(request)}
        return render(request, "accounts/signup.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_register(
                **form.cleaned_data, language=getattr(request, "LANGUAGE_CODE", "")
            )
        except InvalidInput as exc:
            form_add_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Farmgate, %(name)s!") % {"name": user.username})
            return redirect(_safe_next(request))
    return render(request, "accounts/signup.html", {"form": form, "next": _safe_next(request)})


class LogInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LogInForm
    redirect_authenticated_user = True

    def get_redirect_url(self):
        # The shop's home page as "next" is no wish (the menu's link from there sends
        # it): each person then lands where their work is.
        target = super().get_redirect_url()
        return "" if target == "/" else target

    def get_default_redirect_url(self):
        return selectors.user_home_url(user=self.request.user)


class LogOutView(auth_views.LogoutView):
    next_page = "/"


def _add_service_error(form, field: str, exc: ApplicationError) -> None:
    details = exc.details if isinstance(exc.details, dict) else {}
    problems = [p for p in details.get(field, []) if isinstance(p, str)]
    for problem in problems or [exc.message]:
        form.add_error(field, _(problem))


@sensitive_post_parameters("code")
def sms_login(request):
    """Sign in with a code sent by text message: the number, then the six digits.

    The number waits in the session between the two steps; every rule (limits, the
    five tries, the five minutes, a new buyer for a new number) is ``accounts.services``'."""
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    next_url = _safe_next(request)
    phone = request.session.get(SMS_PHONE_SESSION_KEY, "")
    action = request.POST.get("action") if request.method == "POST" else None
    phone_form = SmsPhoneForm(request.POST if action == "send" else None, initial={"phone": phone})
    code_form = SmsCodeForm(request.POST if action == "verify" else None)
    if phone:  # the second step: the cursor belongs in the code box
        phone_form.fields["phone"].widget.attrs.pop("autofocus", None)
    language = getattr(request, "LANGUAGE_CODE", "")

    if action == "send" and phone_form.is_valid():
        try:
            row = services.sms_code_request(
                phone=phone_form.cleaned_data["phone"],
                client_address=client_ip(request),
                language=language,
            )
        except Throttled as exc:
            wait = (exc.details or {}).get("retry_after_seconds", 60)
            phone_form.add_error(
                "phone",
                _("Please wait %(seconds)d seconds before asking for another code.")
                % {"seconds": wait},
            )
        except (InvalidInput, SmsUnavailable) as exc:
            _add_service_error(phone_form, "phone", exc)
        else:
            request.session[SMS_PHONE_SESSION_KEY] = row.phone
            messages.success(
                request,
                _("We sent a code to %(phone)s. It is valid for 5 minutes.")
                % {"phone": phone_masked(row.phone)},
            )
            return redirect(f"{reverse('login_sms')}?{urlencode({'next': next_url})}")
    elif action == "verify" and phone and code_form.is_valid():
        try:
            user, created = services.sms_code_verify(
                phone=phone, code=code_form.cleaned_data["code"], language=language
            )
        except ApplicationError as exc:
            _add_service_error(code_form, "code", exc)
        else:
            request.session.pop(SMS_PHONE_SESSION_KEY, None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if created:
                messages.success(request, _("Welcome to Farmgate! Your account is ready."))
            return redirect(next_url)

    context = {
        "phone_form": phone_form,
        "code_form": code_form,
        "phone": phone,
        "phone_masked": phone_masked(phone) if phone else "",
        "next": next_url,
        "dev_outbox": settings.DEBUG and settings.SMS_BACKEND == "outbox",
    }
    return render(request, "accounts/login_sms.html", context)


def set_language(request):
    """Django's language switch (``/i18n/setlang/``); a signed-in person's choice is also
    kept on their account, so their e-mails and text messages follow it."""
    response = i18n.set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        language = request.POST.get("language", "")
        if language in {code for code, _name in settings.LANGUAGES}:
            services.user_set_language(user=request.user, language=language)
    return response
