"""The errors of the mail adapter: all are `DeliveryFailed` (the outbox keeps the message and the
relay retries it later), told apart so that a host can act on them.
"""

from __future__ import annotations

from educonnect_core.errors import DeliveryFailed

__all__ = [
    "AuthenticationRefused",
    "MessageRefused",
    "RecipientRefused",
    "ServerUnavailable",
    "SmtpDeliveryFailed",
]


class SmtpDeliveryFailed(DeliveryFailed):
    """A message was not handed over. `code` is the SMTP reply code when the server gave one
    (0 otherwise); `permanent` tells a definitive refusal (5xx) from a passing one.
    """

    def __init__(self, message_id: str, recipient: str, reason: str, code: int = 0) -> None:
        self.code = code
        super().__init__(message_id, recipient, reason)

    @property
    def permanent(self) -> bool:
        """Whether the server refused for good (a 5xx reply): retrying will not help."""
        return 500 <= self.code < 600


class RecipientRefused(SmtpDeliveryFailed):
    """The server refused the recipient's address (RCPT TO); the connection stays usable."""

    def __init__(self, message_id: str, recipient: str, reason: str, code: int = 0) -> None:
        super().__init__(message_id, recipient, reason, code)
        self.french = f"L’adresse {recipient} a été refusée par le serveur de messagerie."


class MessageRefused(SmtpDeliveryFailed):
    """The server refused the sender (MAIL FROM) or the message itself (DATA)."""


class ServerUnavailable(SmtpDeliveryFailed):
    """The server could not be reached, dropped the connection or timed out; the message may be
    retried later (the next `send` opens a new connection).
    """

    def __init__(self, message_id: str, recipient: str, reason: str, code: int = 0) -> None:
        super().__init__(message_id, recipient, reason, code)
        self.french = (
            f"Le serveur de messagerie est injoignable ; le courriel destiné à {recipient} "
            "sera renvoyé plus tard."
        )


class AuthenticationRefused(ServerUnavailable):
    """The server refused the configured user name and password (or offers no authentication)."""
