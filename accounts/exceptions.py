"""Failures of the account services, each with a stable code (API.md)."""

from storefront.errors import ApplicationError


class InvalidCredentials(ApplicationError):
    """Wrong username or password, or an inactive account: one answer for all three,
    so the API never tells an attacker which usernames exist."""

    code = "invalid_credentials"
    status_code = 400
    default_message = "Unable to log in with these credentials."


class Throttled(ApplicationError):
    """Too many codes asked for this number or from this address (API.md: 429)."""

    code = "throttled"
    status_code = 429
    default_message = "Too many codes asked for; please wait before asking again."


class InvalidCode(ApplicationError):
    code = "invalid_code"
    status_code = 400
    default_message = "This code is not right. Check the text message and try again."


class CodeExpired(ApplicationError):
    code = "code_expired"
    status_code = 400
    default_message = "This code has expired. Ask for a new one."


class TooManyAttempts(ApplicationError):
    code = "too_many_attempts"
    status_code = 429
    default_message = "Too many wrong codes. Ask for a new one."
