"""Failures of the account services, each with a stable code (API.md)."""

from storefront.errors import ApplicationError


class InvalidCredentials(ApplicationError):
    """Wrong username or password, or an inactive account: one answer for all three,
    so the API never tells an attacker which usernames exist."""

    code = "invalid_credentials"
    status_code = 400
    default_message = "Unable to log in with these credentials."
