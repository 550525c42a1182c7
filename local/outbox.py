"""What moto's SES received (moto runs in-process in the local runtime and in tests): each e-mail as the recipient
would read it — to, subject (decoded), the plain text, the links in it. The local runtime serves the list at
`GET /local/outbox` on the admin gateway and prints each new e-mail's subject and links (`make run`), so the
approval link of a premium application can be opened in a browser; tests read approval links the same way."""

from __future__ import annotations

import re
import threading
from email import message_from_bytes, policy
from typing import Any, Callable

ACCOUNT, REGION = "123456789012", "ap-northeast-1"  # moto's default account; the local region
LINK = re.compile(r"https?://[^\s<>\"']+")


def sent_messages(account: str = ACCOUNT, region: str = REGION) -> list[Any]:
    from moto.ses.models import ses_backends

    return list(ses_backends[account][region].sent_messages)


def read(message: Any) -> dict[str, Any]:
    """One message of moto's SES (raw, as shared/dal/mail.py sends it; or simple)."""
    raw = getattr(message, "raw_data", None)
    if raw is None:  # a "simple" message: moto keeps its parts
        text = getattr(message, "body", "") or ""
        return {"to": list(message.destinations.get("ToAddresses", []) if isinstance(message.destinations, dict)
                           else message.destinations),
                "subject": getattr(message, "subject", ""), "text": text, "links": LINK.findall(text)}
    parsed = message_from_bytes(raw.encode() if isinstance(raw, str) else raw, policy=policy.default)
    body = parsed.get_body(("plain",))
    text = body.get_content().replace("\r\n", "\n") if body is not None else ""  # SMTP line ends
    return {"to": [a.strip() for a in str(parsed.get("To", "")).split(",") if a.strip()],
            "subject": str(parsed.get("Subject", "")), "text": text, "links": LINK.findall(text)}


def outbox() -> list[dict[str, Any]]:
    return [read(m) for m in sent_messages()]


class MailPrinter:
    """Polls moto's SES and hands each new e-mail to `show` (the terminal of `make run`)."""

    def __init__(self, show: Callable[[dict[str, Any]], None], interval_seconds: float = 1.0) -> None:
        self._show = show
        self._interval = interval_seconds
        self._seen = 0
        self._stop = threading.Event()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, daemon=True, name="mail-printer")
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def poll(self) -> None:
        messages = sent_messages()
        for message in messages[self._seen:]:
            self._show(read(message))
        self._seen = len(messages)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 — a printer must never end the runtime
                continue


def describe(mail: dict[str, Any]) -> str:
    """The terminal's lines for one e-mail."""
    lines = [f"[mail] to {', '.join(mail['to'])}: {mail['subject']}"]
    lines += [f"       {link}" for link in mail["links"]]
    return "\n".join(lines)
