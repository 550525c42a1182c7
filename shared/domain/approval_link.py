"""The approval link e-mailed to staff (R-PRE-5): which application it is for, until when it works, signed with a key
only the workflow and the admin function hold. It carries no task token (the token stays in the table) and no
personal data; it works once: its nonce is the application's current one, which the decision removes (and a new
approval request replaces), so a used, superseded or expired link shows only that it no longer works.

HMAC-SHA256 over the base64url JSON claims: `<claims>.<signature>`, both base64url without padding."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta, timezone

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import InvalidApprovalLink

MAX_LINK_CHARS = 600


class ApprovalLink(BaseModel):
    model_config = ConfigDict(frozen=True)
    organisation_code: str
    user_id: str
    application_id: str
    nonce: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_nonce() -> str:
    return secrets.token_hex(16)


def sign(key: bytes, link: ApprovalLink) -> str:
    claims = {"o": link.organisation_code, "u": link.user_id, "a": link.application_id, "n": link.nonce,
              "e": int(link.expires_at.timestamp())}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{body}.{_b64(hmac.new(key, body.encode(), hashlib.sha256).digest())}"


def verify(key: bytes, token: str, now: datetime) -> ApprovalLink:
    """The link's claims, or InvalidApprovalLink (forged, altered, malformed or expired: one answer for all)."""
    if not token or len(token) > MAX_LINK_CHARS or token.count(".") != 1:
        raise InvalidApprovalLink("malformed approval link")
    body, signature = token.split(".")
    try:
        expected = hmac.new(key, body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise InvalidApprovalLink("approval link signature does not match")
        claims = json.loads(_unb64(body))
        link = ApprovalLink(organisation_code=claims["o"], user_id=claims["u"], application_id=claims["a"],
                            nonce=claims["n"], expires_at=datetime.fromtimestamp(claims["e"], tz=timezone.utc))
    except (ValueError, KeyError, TypeError, ValidationError) as error:
        raise InvalidApprovalLink("malformed approval link") from error
    if now >= link.expires_at:
        raise InvalidApprovalLink("the approval link has expired")
    return link


def link_expiry(now: datetime, seconds: int) -> datetime:
    return now + timedelta(seconds=seconds)
