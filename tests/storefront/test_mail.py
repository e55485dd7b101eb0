"""Mail settings from the environment, sent through a real SMTP conversation with a
local server (aiosmtpd), with sign-in; production refuses the console backend unless
told to."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .helpers import run_django

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "storefront.settings.production",
    "SECRET_KEY": "k3y-" + "a1b2c3d4e5f6g7h8i9j0" * 3,
    "ALLOWED_HOSTS": "farmgate.example",
    "DATABASE_URL": "postgres://farmgate@db.invalid:5432/farmgate",
}
SEND = (
    "from django.core.mail import send_mail\n"
    "send_mail('订单已发货 Your parcel is on its way', '包裹已发出。Tracking SF1400123456789.', "
    "None, ['buyer@example.cn'])"
)


class Inbox:
    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            self.logins.append((login, password))
            return AuthResult(success=(login, password) == ("farmgate", "mail-Pa55:word"))
        return AuthResult(success=False)


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_require_tls=False,  # a loopback test server has no certificate
    )
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


_run = run_django


def _check_delivered(inbox: Inbox) -> None:
    assert inbox.logins == [("farmgate", "mail-Pa55:word")]
    ((sender, recipients, message),) = inbox.messages
    assert sender == "orders@coop.example.cn"
    assert recipients == ["buyer@example.cn"]
    assert message["Subject"] == "订单已发货 Your parcel is on its way"
    assert message["From"] == "Jeminay Flour <orders@coop.example.cn>"
    assert "包裹已发出" in message.get_content()


def test_production_sends_through_the_smtp_server_of_email_url(smtp):
    port, inbox = smtp
    result = _run(
        SEND,
        **PRODUCTION,
        # The password holds a ':' (URL-quoted): it must arrive intact.
        EMAIL_URL=f"smtp://farmgate:mail-Pa55%3Aword@127.0.0.1:{port}?timeout=5",
        DEFAULT_FROM_EMAIL="Jeminay Flour <orders@coop.example.cn>",
    )
    assert result.returncode == 0, result.stderr
    _check_delivered(inbox)


def test_the_same_from_separate_variables(smtp):
    port, inbox = smtp
    result = _run(
        SEND,
        **PRODUCTION,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_HOST_USER="farmgate",
        EMAIL_HOST_PASSWORD="mail-Pa55:word",
        DEFAULT_FROM_EMAIL="Jeminay Flour <orders@coop.example.cn>",
    )
    assert result.returncode == 0, result.stderr
    _check_delivered(inbox)


def test_settings_read_every_mail_variable():
    show = (
        "from django.conf import settings as s\n"
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, "
        "s.EMAIL_TIMEOUT, s.SERVER_EMAIL)"
    )
    tls = _run(
        show,
        **PRODUCTION,
        EMAIL_URL="submission://u:p@smtp.example.cn",
        SERVER_EMAIL="ops@example.cn",
    )
    assert tls.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.cn",
        "587",
        "True",
        "False",
        "10",
        "ops@example.cn",
    ], tls.stderr
    ssl = _run(show, **PRODUCTION, EMAIL_URL="smtp://u:p@smtp.example.cn:465?ssl=1&timeout=3")
    assert ssl.stdout.split()[1:6] == ["smtp.example.cn", "465", "False", "True", "3"]
    both = _run(show, **PRODUCTION, EMAIL_HOST="h", EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert both.returncode != 0 and "exclude each other" in both.stderr
    unknown = _run(show, **PRODUCTION, EMAIL_URL="smtpx://h")
    assert unknown.returncode != 0 and "EMAIL_URL" in unknown.stderr


def test_production_refuses_to_print_mail_unless_told_to():
    check = "print('started')"
    refused = _run(check, **PRODUCTION)
    assert refused.returncode != 0
    assert "EMAIL_URL" in refused.stderr and "EMAIL_ALLOW_CONSOLE" in refused.stderr
    allowed = _run(check, **PRODUCTION, EMAIL_ALLOW_CONSOLE="1")
    assert allowed.returncode == 0 and "started" in allowed.stdout, allowed.stderr
    # Development keeps printing mail to the console with nothing configured.
    local = _run("from django.conf import settings as s\nprint(s.EMAIL_BACKEND)")
    assert local.stdout.strip() == "django.core.mail.backends.console.EmailBackend"


def test_production_refuses_the_development_sms_outbox():
    # The outbox logs each text whole: in production a sign-in code would sit in the log.
    check = "print('started')"
    refused = _run(check, **PRODUCTION, EMAIL_ALLOW_CONSOLE="1", SMS_BACKEND="outbox")
    assert refused.returncode != 0 and "SMS_BACKEND=outbox" in refused.stderr
    none = _run(check, **PRODUCTION, EMAIL_ALLOW_CONSOLE="1", SMS_BACKEND="")
    assert none.returncode == 0 and "started" in none.stdout, none.stderr
