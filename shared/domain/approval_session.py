"""The approval page's staff session (R-PRE-5, R-PRIV-2): who signed in, of which organisation, with which roles, until
when. The page's routes have no API Gateway authorizer (a link opened from an e-mail sends no Authorization header),
so the admin function verifies the session itself: claims signed with the approval keys' session key
(shared/dal/approval_keys.py; never the link key), `<claims>.<signature>` in base64url as the approval link is, kept in
an HttpOnly, Secure, SameSite=Strict cookie scoped to the page's path.

A form's CSRF token is an HMAC of the session and the application it decides, with the same key: a form works only
in the session that rendered it, and only for that application. The cookie's SameSite=Strict already keeps other
sites' forms from carrying the session; the token is the second lock (docs/decisions.md)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

from pydantic import BaseModel, ConfigDict, ValidationError

from .approval_link import _b64, _unb64  # the link's encoding: one format for both signed values
from .errors import Unauthenticated
from .staff import StaffMember

SESSION_MINUTES = 30
COOKIE_NAME = "furusato_approval"
MAX_SESSION_CHARS = 1000


class StaffSession(BaseModel):
    model_config = ConfigDict(frozen=True)
    sub: str
    code: str
    roles: tuple[str, ...]
    expires_at: datetime


def new_session(staff: StaffMember, now: datetime) -> StaffSession:
    return StaffSession(sub=staff.user_id, code=staff.organisation.code, roles=tuple(sorted(staff.roles)),
                        expires_at=now + timedelta(minutes=SESSION_MINUTES))


def _mac(key: bytes, label: bytes, text: str) -> bytes:
    return hmac.new(key, label + b"\0" + text.encode(), hashlib.sha256).digest()


def sign(key: bytes, session: StaffSession) -> str:
    claims = {"sub": session.sub, "code": session.code, "roles": list(session.roles),
              "exp": int(session.expires_at.timestamp())}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{body}.{_b64(_mac(key, b'session', body))}"


def verify(key: bytes, token: str | None, now: datetime) -> StaffSession:
    """The session's claims, or Unauthenticated (missing, forged, altered, malformed or expired: one answer)."""
    if not token or len(token) > MAX_SESSION_CHARS or token.count(".") != 1:
        raise Unauthenticated("no valid approval page session")
    body, signature = token.split(".")
    try:
        if not hmac.compare_digest(_mac(key, b"session", body), _unb64(signature)):
            raise Unauthenticated("the approval page session's signature does not match")
        claims = json.loads(_unb64(body))
        session = StaffSession(sub=claims["sub"], code=claims["code"], roles=tuple(claims["roles"]),
                               expires_at=datetime.fromtimestamp(claims["exp"], tz=timezone.utc))
    except (ValueError, KeyError, TypeError, ValidationError) as error:
        raise Unauthenticated("malformed approval page session") from error
    if now >= session.expires_at:
        raise Unauthenticated("the approval page session has expired")
    return session


def csrf_token(key: bytes, session_token: str, application_id: str) -> str:
    return _b64(_mac(key, b"csrf", f"{session_token}\0{application_id}"))


def csrf_matches(key: bytes, session_token: str, application_id: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(csrf_token(key, session_token, application_id).encode(), (token or "").encode())
