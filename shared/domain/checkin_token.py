"""Check-in tokens for designated activities (R-ACT-2): what the QR code staff show or print carries.

A token is `v3.<kid>.<payload>.<sig>`: `payload` is the base64url (unpadded) of the claims in a fixed field order,
`activity_id|organisation_code|venue_code|p or r|not_before|expires|issued_at|attendance_day|schedule_revision`
(times in epoch seconds, the day as YYYYMMDD or empty), and `sig` the base64url Ed25519 signature (64 bytes, 86
characters) of `v3.<kid>.<payload>` by the key `kid`: version and key id are signed too. About 205 characters for a
17-character activity id (the check-in URL about 235, a version 11 QR code: 61 modules a side, still easy to scan
from an A4 sheet or a phone screen). Free text (the activity's name) is deliberately not carried: it would triple the
length.

Two kinds:
- printed: valid for ONE day's window (R-ACT-2: a photo of it must not let anyone check in from home on other days).
  A single-day activity's code covers its time plus a margin on both sides; a multi-day or blanket activity has a
  code per day (`day_window`), covering that Tokyo day (the first day from start - margin, the last until
  end + margin), and counting the attendance for that day.
- rotating: shown on a staff device from the admin page, a new code every period (60 s), each valid for
  `periods_valid` periods (2: tolerates clock skew and a slow scan), never outside the activity window + margin.
  Always signed by the server: the staff device never holds the key.

Every token carries the activity's `schedule_revision` (bumped when its time or place changes): the check-in
transaction requires it to equal the activity's, so any reschedule or change of venue stops the codes issued before.

Keys are asymmetric (docs/decisions.md, "Check-in codes are signed with Ed25519"): `SigningKeys` (private, in the
secret only the admin function reads) sign; `VerificationKeys` (their public halves, in a second secret the
internet-facing checkin function reads) verify, so nothing checkin holds can make a code. `rotated()` adds a new
current key and keeps the previous one, so tokens already issued stay valid until they expire; a key leaves the set
after the next-but-one rotation: rotate less often than the longest printed-token lifetime (printing lead time +
activity). Publish the verification keys before the signing keys (`shared/dal/secrets.py` does).

Pure: stdlib, pydantic and `cryptography`'s Ed25519 (from the Powertools layer; imported when a key is first used,
~15 ms, not when this module is). Times are aware datetimes from the one clock (`shared.clock`), passed in as `now`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..clock import TOKYO
from .errors import CheckinTokenExpired, CheckinTokenNotYetValid, InvalidCheckinToken, UnknownSigningKey

TokenKind = Literal["printed", "rotating"]

VERSION = "v3"
ALGORITHM = "Ed25519"
CHECKIN_URL_BASE = "https://furusato.example.jp/c/"
KEY_BYTES = 32  # an Ed25519 private key (its seed) and a public key are both 32 bytes
MAX_KEYS = 3
DEFAULT_MARGIN = timedelta(minutes=30)
DEFAULT_PERIOD = timedelta(seconds=60)
MAX_PRINTED_SPAN = timedelta(hours=24)  # = domain.activities.MAX_SINGLE_ACTIVITY: one day's window
MAX_REVISION = 999_999_999
MAX_TOKEN_CHARS = 300  # longer scanned text is refused before any parsing

_KIND_CODE: dict[str, str] = {"printed": "p", "rotating": "r"}
_CODE_KIND: dict[str, str] = {v: k for k, v in _KIND_CODE.items()}
_ID = r"[A-Za-z0-9_-]"
_KID_RE = re.compile(rf"{_ID}{{1,16}}")
_SIGNATURE_CHARS = 86  # 64 bytes in unpadded base64url
_TOKEN_RE = re.compile(rf"{VERSION}\.({_ID}{{1,16}})\.({_ID}{{8,200}})\.({_ID}{{{_SIGNATURE_CHARS}}})")
_TIME, _CODE = r"([0-9]{1,11})", r"([0-9]{6})"
_REVISION = r"([1-9][0-9]{0,8})"
_PAYLOAD_RE = re.compile(
    rf"({_ID}{{1,64}})\|{_CODE}\|{_CODE}\|([pr])\|{_TIME}\|{_TIME}\|{_TIME}\|([0-9]{{8}})?\|{_REVISION}"
)

ActivityId = Annotated[str, Field(pattern=rf"^{_ID}{{1,64}}$", description="URL-safe, at most 64 characters")]
LgCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="全国地方公共団体コード (6 digits)")]


# --- errors: the refusals are domain errors (shared/domain/errors.py); this one is internal ---------------------


class OutsideActivityWindow(ValueError):
    """Staff asked for a rotating code while the activity (+- margin) is not running. A ValueError, not a problem type:
    the logic layer maps it to its own domain error (activity-not-running)."""

    def __init__(self, detail: str, window_start: datetime, window_end: datetime) -> None:
        super().__init__(detail)
        self.window_start, self.window_end = window_start, window_end


# --- claims ------------------------------------------------------------------------------------------------------


class CheckinClaims(BaseModel):
    """What a token asserts. Datetimes are normalised to Asia/Tokyo, whole seconds (what the token can carry)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    activity_id: ActivityId
    organisation_code: LgCode = Field(description="the organisation (municipality or prefecture) that designated it")
    venue_code: LgCode = Field(description="the municipality where it takes place (R-ACT-4)")
    kind: TokenKind
    not_before: datetime
    expires: datetime
    issued_at: datetime
    attendance_day: date | None = Field(
        default=None,
        description="The day the attendance counts for (a single-day activity); None: the day of the scan "
        "(multi-day or blanket activities, R-PRE-2)",
    )
    schedule_revision: int = Field(
        default=1, ge=1, le=MAX_REVISION,
        description="The activity's schedule revision when issued: a reschedule or change of venue bumps the "
        "activity's, and the check-in refuses a token carrying an older one",
    )

    @field_validator("not_before", "expires", "issued_at")
    @classmethod
    def _aware_tokyo_seconds(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("must be timezone-aware")
        return value.astimezone(TOKYO).replace(microsecond=0)

    @model_validator(mode="after")
    def _window(self) -> CheckinClaims:
        if self.expires <= self.not_before:
            raise ValueError("expires must be after not_before")
        return self

    def is_valid_at(self, now: datetime) -> bool:
        return self.not_before <= now < self.expires


def printed_claims(
    activity_id: str,
    organisation_code: str,
    venue_code: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    margin: timedelta = DEFAULT_MARGIN,
    day: date | None = None,
    schedule_revision: int = 1,
) -> CheckinClaims:
    """Claims for a printed code, valid for one day's window whenever it is printed (a code printed after its day is
    simply expired), R-ACT-2:
    - `day` None (a single-day activity): from `starts_at - margin` until `ends_at + margin`, counted for the day it
      starts; refused for a window longer than a day, so no printed code ever spans several days;
    - `day` given (a multi-day or blanket activity): that day's window (`day_window`), counted for that day."""
    if day is None:
        start, end = _window(starts_at, ends_at, margin)
        if ends_at - starts_at > MAX_PRINTED_SPAN:
            raise ValueError("a printed code covers one day: give the day of a multi-day or blanket activity")
        attendance_day = starts_at.astimezone(TOKYO).date()
    else:
        start, end = day_window(starts_at, ends_at, day, margin)
        attendance_day = day
    return CheckinClaims(
        activity_id=activity_id, organisation_code=organisation_code, venue_code=venue_code, kind="printed",
        not_before=start, expires=end, issued_at=now, attendance_day=attendance_day,
        schedule_revision=schedule_revision,
    )


def activity_days(starts_at: datetime, ends_at: datetime) -> tuple[date, date]:
    """The first and last Tokyo days an activity runs on (an end at midnight closes the day before)."""
    _window(starts_at, ends_at, timedelta(0))
    return starts_at.astimezone(TOKYO).date(), (ends_at.astimezone(TOKYO) - timedelta(microseconds=1)).date()


def day_window(starts_at: datetime, ends_at: datetime, day: date, margin: timedelta = DEFAULT_MARGIN) -> tuple[datetime, datetime]:
    """The window of `day`'s printed code for a multi-day or blanket activity: that Tokyo day from 00:00 to 24:00,
    except the first day opens at `starts_at - margin` and the last closes at `ends_at + margin`. ValueError when
    `day` is not one of the activity's days (`activity_days`)."""
    first, last = activity_days(starts_at, ends_at)
    if not first <= day <= last:
        raise ValueError(f"{day} is not a day of the activity ({first} to {last})")
    start, end = _window(starts_at, ends_at, margin)
    midnight = datetime.combine(day, time(0), TOKYO)
    return (start if day == first else midnight), (end if day == last else midnight + timedelta(days=1))


def rotating_claims(
    activity_id: str,
    organisation_code: str,
    venue_code: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    period: timedelta = DEFAULT_PERIOD,
    periods_valid: int = 2,
    margin: timedelta = DEFAULT_MARGIN,
    attendance_day: date | None = None,
    schedule_revision: int = 1,
) -> CheckinClaims:
    """Claims for the code on the staff screen (R-ACT-2): `not_before` is the start of the current period (periods
    are aligned on the epoch, so every device and container agrees), `expires` `periods_valid` periods later; both
    clamped to the activity window +- margin. Refused when the activity is not running now."""
    step = period.total_seconds()
    if step < 1 or step != int(step):
        raise ValueError("period must be a whole number of seconds, at least 1")
    if periods_valid < 1:
        raise ValueError("periods_valid must be at least 1")
    start, end = _window(starts_at, ends_at, margin)
    if not start <= now < end:
        raise OutsideActivityWindow("the activity is not running now; no rotating code is shown", start, end)
    epoch = int(now.timestamp())
    period_start = datetime.fromtimestamp(epoch - epoch % int(step), TOKYO)
    not_before = max(period_start, start)
    expires = min(period_start + periods_valid * period, end)
    return CheckinClaims(
        activity_id=activity_id, organisation_code=organisation_code, venue_code=venue_code, kind="rotating",
        not_before=not_before, expires=expires, issued_at=now, attendance_day=attendance_day,
        schedule_revision=schedule_revision,
    )


def _window(starts_at: datetime, ends_at: datetime, margin: timedelta) -> tuple[datetime, datetime]:
    for value in (starts_at, ends_at):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("activity times must be timezone-aware")
    if ends_at <= starts_at:
        raise ValueError("the activity must end after it starts")
    if margin < timedelta(0):
        raise ValueError("margin must not be negative")
    return (starts_at - margin).astimezone(TOKYO), (ends_at + margin).astimezone(TOKYO)


# --- keys --------------------------------------------------------------------------------------------------------


def _ed25519():
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519


def _check_kids(keys: Mapping[str, bytes], what: str) -> dict[str, bytes]:
    keys = dict(keys)
    if not keys or len(keys) > MAX_KEYS:
        raise ValueError(f"between 1 and {MAX_KEYS} keys")
    for kid, key in keys.items():
        if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
            raise ValueError("a key id is 1-16 characters of A-Z a-z 0-9 _ -")
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise ValueError(f"each {what} is {KEY_BYTES} bytes")
    return keys


def _key_set_json(version: int, data: dict) -> str:
    return json.dumps({"v": version, "alg": ALGORITHM, **data}, separators=(",", ":"))


def _read_key_set(text: str, version: int) -> tuple[dict, dict[str, bytes]]:
    """The JSON object and its decoded `keys`; ValueError on anything else (a configuration error, not the user's)."""
    try:
        data = json.loads(text)
        if data.get("v") != version or data.get("alg") != ALGORITHM or not isinstance(data.get("keys"), dict):
            raise ValueError("unexpected shape")
        keys = {kid: base64.b64decode(value, validate=True) for kid, value in data["keys"].items()}
    except (ValueError, TypeError, AttributeError, binascii.Error) as e:
        raise ValueError(f"not a check-in key set: {type(e).__name__}") from None
    return data, keys


@dataclass(frozen=True)
class VerificationKeys:
    """The public keys that verify tokens, by key id (oldest first, at most MAX_KEYS): all the checkin function holds.
    Knowing them does not allow making a token."""

    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        keys = _check_kids(self.keys, "public key")
        object.__setattr__(self, "keys", MappingProxyType(keys))
        load = _ed25519().Ed25519PublicKey.from_public_bytes
        object.__setattr__(self, "_public", MappingProxyType({kid: load(key) for kid, key in keys.items()}))

    def to_secret_string(self) -> str:
        """JSON: {"v": 2, "alg": "Ed25519", "keys": {kid: base64 public key, ...}}, oldest first."""
        return _key_set_json(2, {"keys": {kid: base64.b64encode(key).decode("ascii") for kid, key in self.keys.items()}})

    @classmethod
    def from_secret_string(cls, text: str) -> VerificationKeys:
        data, keys = _read_key_set(text, 2)
        if set(data) != {"v", "alg", "keys"}:
            raise ValueError("not a verification key set: private keys or unknown fields")  # never a signing set here
        return cls(keys=keys)


@dataclass(frozen=True)
class SigningKeys:
    """The private signing keys (the admin function only): `current` signs; oldest first, at most MAX_KEYS. Each is an
    Ed25519 private key as its 32-byte seed. The keys never appear in repr (logs)."""

    current: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        keys = _check_kids(self.keys, "private key")
        if self.current not in keys:
            raise ValueError("the current key id is not among the keys")
        object.__setattr__(self, "keys", MappingProxyType(keys))

    @classmethod
    def generate(cls) -> SigningKeys:
        kid = _new_kid(set())
        return cls(current=kid, keys={kid: secrets.token_bytes(KEY_BYTES)})

    def rotated(self, keep: int = 2) -> SigningKeys:
        """A new current key; the newest `keep - 1` keys before it still verify (tokens they signed stay valid)."""
        if not 2 <= keep <= MAX_KEYS:
            raise ValueError(f"keep between 2 and {MAX_KEYS}")
        kid = _new_kid(set(self.keys))
        previous = [k for k in self.keys if k != self.current] + [self.current]  # the current one is the newest
        kept = {k: self.keys[k] for k in previous[-(keep - 1) :]}
        return SigningKeys(current=kid, keys={**kept, kid: secrets.token_bytes(KEY_BYTES)})

    def verification_keys(self) -> VerificationKeys:
        """The public halves, for the verifiers (published before the signing keys change)."""
        private = _ed25519().Ed25519PrivateKey.from_private_bytes
        return VerificationKeys(keys={kid: private(seed).public_key().public_bytes_raw() for kid, seed in self.keys.items()})

    def sign(self, signing_input: bytes) -> bytes:
        return _ed25519().Ed25519PrivateKey.from_private_bytes(self.keys[self.current]).sign(signing_input)

    def to_secret_string(self) -> str:
        """JSON for the signing secret: {"v": 2, "alg": "Ed25519", "current": kid, "keys": {kid: base64 seed}}."""
        keys = {kid: base64.b64encode(seed).decode("ascii") for kid, seed in self.keys.items()}
        return _key_set_json(2, {"current": self.current, "keys": keys})

    @classmethod
    def from_secret_string(cls, text: str) -> SigningKeys:
        """Raises ValueError on anything but what `to_secret_string` writes (a configuration error, not the user's)."""
        data, keys = _read_key_set(text, 2)
        if not isinstance(data.get("current"), str):
            raise ValueError("not a signing key set: no current key")
        return cls(current=data["current"], keys=keys)


def _new_kid(taken: set[str]) -> str:
    while (kid := secrets.token_hex(3)) in taken:
        pass
    return kid


# --- issue and verify --------------------------------------------------------------------------------------------


def issue(claims: CheckinClaims, keys: SigningKeys) -> str:
    fields = (
        claims.activity_id,
        claims.organisation_code,
        claims.venue_code,
        _KIND_CODE[claims.kind],
        str(int(claims.not_before.timestamp())),
        str(int(claims.expires.timestamp())),
        str(int(claims.issued_at.timestamp())),
        claims.attendance_day.strftime("%Y%m%d") if claims.attendance_day else "",
        str(claims.schedule_revision),
    )
    signing_input = f"{VERSION}.{keys.current}.{_b64(('|'.join(fields)).encode('ascii'))}"
    return f"{signing_input}.{_b64(keys.sign(signing_input.encode('ascii')))}"


def verify(token: str, keys: VerificationKeys, now: datetime) -> CheckinClaims:
    """The claims of a genuine token valid at `now`. Signature first: nothing of the payload is read before."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (shared.clock.now())")
    if not isinstance(keys, VerificationKeys):
        raise TypeError("tokens are verified with the public VerificationKeys")
    claims = _authentic_claims(token, keys)
    if now < claims.not_before:
        raise CheckinTokenNotYetValid(claims)
    if now >= claims.expires:
        raise CheckinTokenExpired(claims)
    return claims


def _authentic_claims(token: str, keys: VerificationKeys) -> CheckinClaims:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise InvalidCheckinToken("not a string or too long")
    match = _TOKEN_RE.fullmatch(token)
    if not match:
        raise InvalidCheckinToken("malformed")
    kid, payload, sig = match.groups()
    public = keys._public.get(kid)  # type: ignore[attr-defined]
    if public is None:
        raise UnknownSigningKey("unknown key id")
    signature = base64.urlsafe_b64decode(sig + "==")
    if _b64(signature) != sig:  # the last character's 4 unused bits: one text per signature, not sixteen
        raise InvalidCheckinToken("non-canonical signature")
    from cryptography.exceptions import InvalidSignature

    try:
        public.verify(signature, token[: match.end(2)].encode("ascii"))
    except InvalidSignature:
        raise InvalidCheckinToken("bad signature") from None
    try:
        fields = _PAYLOAD_RE.fullmatch(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("ascii"))
        if not fields:
            raise ValueError("payload fields")
        activity_id, organisation_code, venue_code, kind, not_before, expires, issued_at, day, revision = fields.groups()
        return CheckinClaims(
            activity_id=activity_id,
            organisation_code=organisation_code,
            venue_code=venue_code,
            kind=_CODE_KIND[kind],
            not_before=datetime.fromtimestamp(int(not_before), TOKYO),
            expires=datetime.fromtimestamp(int(expires), TOKYO),
            issued_at=datetime.fromtimestamp(int(issued_at), TOKYO),
            attendance_day=datetime.strptime(day, "%Y%m%d").date() if day else None,
            schedule_revision=int(revision),
        )
    except (ValueError, ValidationError, UnicodeDecodeError, binascii.Error, OverflowError, OSError):
        raise InvalidCheckinToken("signed payload unreadable") from None  # only with a leaked key or a bug


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# --- what the QR code encodes ------------------------------------------------------------------------------------


def checkin_url(token: str, base: str = CHECKIN_URL_BASE) -> str:
    """The universal link the QR code encodes; the app opens it and takes the token from the last path segment."""
    return base + token


def token_from_scanned_text(text: str, base: str = CHECKIN_URL_BASE) -> str:
    """The token in what the app scanned: the check-in URL or a bare token (surrounding whitespace ignored).
    Only the shape is checked here; `verify` checks the rest."""
    if not isinstance(text, str) or len(text) > MAX_TOKEN_CHARS + len(base) + 16:
        raise InvalidCheckinToken("not a string or too long")
    text = text.strip()
    if text.startswith(base):
        text = text[len(base) :]
    if not _TOKEN_RE.fullmatch(text):
        raise InvalidCheckinToken("not a check-in code")
    return text
