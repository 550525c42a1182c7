"""E-mail through Amazon SES (v2), sent as raw MIME we render ourselves: a Japanese subject (RFC 2047), a plain-text
and an HTML part, our own headers. moto's SES drops custom headers of "simple" messages and has no templates, so the
raw form is also what runs locally, where the local runtime's outbox reads what moto received.

Messages carry no personal data of applicants to staff (a link, the organisation and a count), and a person's own
notice to the person's own address."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None


def render(mail: Mail, sender: str) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject  # non-ASCII: encoded as RFC 2047 words by the policy
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message.set_content(mail.text, charset="utf-8")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", charset="utf-8")
    return message.as_bytes()


class Mailer:
    def __init__(self, client, sender: str) -> None:
        self._client = client  # sesv2
        self._sender = sender

    def send(self, mail: Mail) -> None:
        if not mail.to:
            return
        self._client.send_email(
            FromEmailAddress=self._sender,
            Destination={"ToAddresses": list(mail.to)},
            Content={"Raw": {"Data": render(mail, self._sender)}},
        )


def create_sender_identity(client, sender: str) -> None:
    """Local runtime and tests: SES sends only from a verified identity (the stack creates it deployed)."""
    client.create_email_identity(EmailIdentity=sender)


def recipients(addresses: Sequence[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for a in addresses if a))
