"""Mail adapter: C02/C04/C06/C07 e-mails, an SMTP mailer and a file (.eml) outbox; and, for
the SMS one-time codes, a file (.sms) outbox (`FileSmsOutbox`).

>>> from educonnect_mail import Sender, SmtpMailer, SmtpSettings
>>> mailer = SmtpMailer(SmtpSettings("smtp.example.org"), Sender("ne-pas-repondre@example.org"))
"""

from educonnect_mail.errors import (
    AuthenticationRefused,
    MessageRefused,
    RecipientRefused,
    ServerUnavailable,
    SmtpDeliveryFailed,
)
from educonnect_mail.file_outbox import FileOutbox
from educonnect_mail.message import (
    Sender,
    build_message,
    html_body,
    message_bytes,
    outgoing_bytes,
    text_body,
    wire_bytes,
)
from educonnect_mail.sms_outbox import FileSmsOutbox
from educonnect_mail.smtp import Security, SmtpMailer, SmtpSettings

__all__ = [
    "AuthenticationRefused",
    "FileOutbox",
    "FileSmsOutbox",
    "MessageRefused",
    "RecipientRefused",
    "Security",
    "Sender",
    "ServerUnavailable",
    "SmtpDeliveryFailed",
    "SmtpMailer",
    "SmtpSettings",
    "build_message",
    "html_body",
    "message_bytes",
    "outgoing_bytes",
    "text_body",
    "wire_bytes",
]
