"""The one exception family every service raises.

A service signals a failure the caller can act on by raising a subclass of
:class:`ApplicationError` with a stable ``code``. The API's exception handler
renders it as ``{"error": {"code", "message", "details"}}`` with the class's
``status_code``; pages show ``message`` to the person.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    code: str = "error"
    status_code: int = 400
    default_message: str = "The request could not be completed."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, details: Any = None
    ) -> None:
        self.message = str(message or self.default_message)
        if code is not None:
            self.code = code
        self.details = details if details is not None else {}
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class InvalidInput(ApplicationError):
    code = "invalid"
    status_code = 400
    default_message = "The input is not valid."


class NotFound(ApplicationError):
    code = "not_found"
    status_code = 404
    default_message = "Not found."


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_message = "You do not have permission to do this."


class InvalidState(ApplicationError):
    """An illegal state transition: never a silent no-op."""

    code = "invalid_state"
    status_code = 409
    default_message = "This cannot be done in the object's current state."


class Conflict(ApplicationError):
    code = "conflict"
    status_code = 409


class ServiceUnavailable(ApplicationError):
    code = "service_unavailable"
    status_code = 503
    default_message = "The service is busy; please try again in a moment."
