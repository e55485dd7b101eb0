"""An e-mail backend that fails a set number of times, then delivers to the locmem outbox."""

from smtplib import SMTPServerDisconnected

from django.core.mail.backends.locmem import EmailBackend

FAILURES = {"left": 0}


class FlakyBackend(EmailBackend):
    def send_messages(self, messages):
        if FAILURES["left"] > 0:
            FAILURES["left"] -= 1
            raise SMTPServerDisconnected("mail server went away")
        return super().send_messages(messages)
