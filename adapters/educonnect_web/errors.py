"""The library's errors as HTTP answers: a status, a stable code, the French sentence."""

from __future__ import annotations

from typing import Final

from educonnect_core import (
    ActionNotAllowed,
    ActivationLinkRefused,
    BirthDateLocked,
    BirthDateRefused,
    ConcurrentChange,
    CredentialsRefused,
    DeliveryFailed,
    EduconnectError,
    IdentityNotRecognised,
    InvalidField,
    NoEmailAddress,
    NotFound,
    NotInScope,
    StorageError,
)

__all__ = ["STATUS", "error_body", "status_and_code"]

#: Most specific first; the code is part of the API's contract.
STATUS: Final[tuple[tuple[type[EduconnectError], int, str], ...]] = (
    (InvalidField, 422, "invalid_field"),
    (NotInScope, 403, "not_in_scope"),
    (NotFound, 404, "not_found"),
    (ActionNotAllowed, 409, "action_not_allowed"),
    (NoEmailAddress, 409, "no_email_address"),
    (ConcurrentChange, 409, "concurrent_change"),
    (CredentialsRefused, 401, "credentials_refused"),
    (BirthDateLocked, 429, "birth_date_locked"),
    (BirthDateRefused, 422, "birth_date_refused"),
    (ActivationLinkRefused, 410, "activation_link_refused"),
    (IdentityNotRecognised, 404, "identity_not_recognised"),
    (StorageError, 503, "storage_unavailable"),
    (DeliveryFailed, 502, "delivery_failed"),
)


def status_and_code(error: EduconnectError) -> tuple[int, str]:
    """The HTTP status and the stable code of `error`."""
    for kind, status, code in STATUS:
        if isinstance(error, kind):
            return status, code
    return 400, "error"


def error_body(error: EduconnectError) -> dict[str, object]:
    """The JSON body of an error: ``{"error": {"code", "message"}}`` (message in French)."""
    _, code = status_and_code(error)
    body: dict[str, object] = {"code": code, "message": error.french}
    if isinstance(error, BirthDateLocked):
        body["retry_at"] = error.retry_at.isoformat()
    if isinstance(error, InvalidField):
        body["field"] = error.field
    return {"error": body}
