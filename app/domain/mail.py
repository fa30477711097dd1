"""E-mail through the SMTP server of the settings: reminders, escalations and invitations."""

import smtplib
from email.message import EmailMessage

from app.core.config import get_settings


class MailError(Exception):
    """The message could not be handed to the mail server."""


def new_message(*, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = get_settings().smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def send_message(message: EmailMessage) -> None:
    settings = get_settings()
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(
            f"Could not send e-mail through {settings.smtp_host}:{settings.smtp_port}: {error}."
        ) from None
