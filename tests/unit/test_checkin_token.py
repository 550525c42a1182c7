"""Check-in tokens (R-ACT-2): signed, bound to the activity and its time window, not forgeable nor replayable
outside it. Every time is an explicit `now` in Asia/Tokyo (the one clock's zone)."""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta, timezone

import pytest

from shared.clock import TOKYO
from shared.domain import checkin_token as ct
from shared.domain.checkin_token import (
    CheckinClaims,
    CheckinTokenExpired,
    CheckinTokenNotYetValid,
    InvalidCheckinToken,
    OutsideActivityWindow,
    SigningKeys,
    UnknownSigningKey,
)
from shared.domain.errors import DomainError

ACTIVITY = "a3f9c2e4b7d1a0c5e"  # the shape of rules.new_activity_id(): "a" + 16 hex
KESENNUMA, MIYAGI = "042056", "040002"
STARTS = datetime(2026, 11, 22, 10, 0, tzinfo=TOKYO)
ENDS = datetime(2026, 11, 22, 12, 0, tzinfo=TOKYO)
BEFORE = datetime(2026, 11, 20, 15, 0, tzinfo=TOKYO)  # staff print two days ahead
KEYS = SigningKeys.generate()
VERIFY = KEYS.verification_keys()  # what the checkin function holds


def printed(now: datetime = BEFORE, **kw) -> CheckinClaims:
    return ct.printed_claims(ACTIVITY, KESENNUMA, KESENNUMA, STARTS, ENDS, now, **kw)


def rotating(now: datetime, **kw) -> CheckinClaims:
    return ct.rotating_claims(ACTIVITY, MIYAGI, KESENNUMA, STARTS, ENDS, now, **kw)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(payload: str, kid: str, seed: bytes) -> str:
    """A token over any payload, signed by the Ed25519 private key `seed` under key id `kid`."""
    signing_input = f"v3.{kid}.{b64(payload.encode())}"
    return f"{signing_input}.{b64(SigningKeys(current=kid, keys={kid: seed}).sign(signing_input.encode()))}"


# --- round trip and shape ----------------------------------------------------------------------------------------


def test_r_act_2_round_trip_keeps_every_claim():
    claims = printed(schedule_revision=7)
    assert ct.verify(ct.issue(claims, KEYS), VERIFY, STARTS) == claims
    assert claims.kind == "printed" and claims.attendance_day == date(2026, 11, 22) and claims.schedule_revision == 7
    assert claims.not_before.tzinfo is not None and claims.not_before.utcoffset() == timedelta(hours=9)


def test_r_act_2_round_trip_normalises_other_zones_and_drops_microseconds():
    claims = rotating((STARTS + timedelta(seconds=5, microseconds=700)).astimezone(timezone.utc))
    back = ct.verify(ct.issue(claims, KEYS), VERIFY, STARTS + timedelta(seconds=5))
    assert back == claims and back.issued_at == STARTS + timedelta(seconds=5)
    assert back.kind == "rotating" and back.organisation_code == MIYAGI and back.venue_code == KESENNUMA


def test_r_act_2_token_is_short_enough_for_a_small_qr_code():
    longest = ct.printed_claims("a" * 64, KESENNUMA, KESENNUMA, STARTS, ENDS, BEFORE, schedule_revision=ct.MAX_REVISION)
    usual = ct.issue(printed(schedule_revision=3), KEYS)
    # An Ed25519 signature is 86 characters (HMAC-SHA256's was 43): a version 11 QR code instead of 10.
    assert len(usual) <= 205 and len(ct.checkin_url(usual)) <= 235
    assert len(ct.issue(longest, KEYS)) <= ct.MAX_TOKEN_CHARS
    assert usual.startswith(f"v3.{KEYS.current}.") and usual.count(".") == 3


def test_claims_refuse_naive_times_empty_windows_and_bad_codes():
    base = dict(activity_id=ACTIVITY, organisation_code=KESENNUMA, venue_code=KESENNUMA, kind="printed")
    with pytest.raises(ValueError):
        CheckinClaims(**base, not_before=STARTS.replace(tzinfo=None), expires=ENDS, issued_at=BEFORE)
    with pytest.raises(ValueError):
        CheckinClaims(**base, not_before=ENDS, expires=STARTS, issued_at=BEFORE)
    with pytest.raises(ValueError):
        CheckinClaims(**{**base, "venue_code": "４２０５６"}, not_before=STARTS, expires=ENDS, issued_at=BEFORE)
    with pytest.raises(ValueError):
        CheckinClaims(**{**base, "activity_id": "a|b"}, not_before=STARTS, expires=ENDS, issued_at=BEFORE)
    with pytest.raises(ValueError):
        ct.verify(ct.issue(printed(), KEYS), VERIFY, STARTS.replace(tzinfo=None))


# --- forgery: one answer, InvalidCheckinToken --------------------------------------------------------------------


def _replace_char(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def test_r_act_2_altered_payload_is_refused():
    token = ct.issue(printed(), KEYS)
    version, kid, payload, sig = token.split(".")
    for index in (0, len(payload) // 2, len(payload) - 2):
        with pytest.raises(InvalidCheckinToken):
            ct.verify(".".join((version, kid, _replace_char(payload, index), sig)), VERIFY, STARTS)
    # A meaningful change: another activity, or the printed window stretched by a day.
    claims = printed()
    for changed in (
        claims.model_copy(update={"activity_id": "a0000000000000000"}),
        claims.model_copy(update={"expires": claims.expires + timedelta(days=1)}),
        claims.model_copy(update={"kind": "rotating"}),
    ):
        other_payload = ct.issue(changed, KEYS).split(".")[2]
        with pytest.raises(InvalidCheckinToken):
            ct.verify(".".join((version, kid, other_payload, sig)), VERIFY, STARTS)


def test_r_act_2_altered_signature_is_refused_even_in_the_unused_trailing_bits():
    token = ct.issue(printed(), KEYS)
    head, sig = token.rsplit(".", 1)
    with pytest.raises(InvalidCheckinToken):
        ct.verify(f"{head}.{_replace_char(sig, 5)}", VERIFY, STARTS)
    # 86 base64url characters carry 516 bits: the last character has 4 unused bits. Same bytes, other text: refused.
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(sig[-1])
    twin = sig[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last ^ 1]
    assert base64.urlsafe_b64decode(twin + "==") == base64.urlsafe_b64decode(sig + "==")
    with pytest.raises(InvalidCheckinToken):
        ct.verify(f"{head}.{twin}", VERIFY, STARTS)


def test_r_act_2_token_signed_with_another_key_is_refused():
    other = SigningKeys(current=KEYS.current, keys={KEYS.current: b"x" * 32})  # same key id, another private key
    with pytest.raises(InvalidCheckinToken):
        ct.verify(ct.issue(printed(), other), VERIFY, STARTS)
    payload = f"{ACTIVITY}|{KESENNUMA}|{KESENNUMA}|p|1795300000|1895300000|1795300000||1"
    with pytest.raises(InvalidCheckinToken):
        ct.verify(forge(payload, KEYS.current, b"guessed-secret-guessed-secret-32"), VERIFY, STARTS)
    # The verification keys themselves (all a compromised checkin function would hold) make no valid signature.
    public = VERIFY.keys[KEYS.current]
    with pytest.raises(InvalidCheckinToken):
        ct.verify(forge(payload, KEYS.current, public), VERIFY, STARTS)


def test_r_act_2_unknown_key_id_is_refused_and_says_so_to_the_caller_only():
    stranger = SigningKeys.generate()
    with pytest.raises(UnknownSigningKey) as raised:
        ct.verify(ct.issue(printed(), stranger), VERIFY, STARTS)
    with pytest.raises(InvalidCheckinToken) as bad_signature:
        ct.verify(ct.issue(printed(), SigningKeys(current=KEYS.current, keys={KEYS.current: b"y" * 32})), VERIFY, STARTS)
    # What the citizen (and a forger) sees is the same problem for both.
    for error in (raised.value, bad_signature.value):
        assert (error.status, error.type_slug, error.title, error.detail, error.extensions) == (
            422,
            "invalid-checkin-code",
            InvalidCheckinToken.title,
            "the scanned text is not a valid check-in token",
            {},
        )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "v1",
        "v1...",
        "v2.abc.def.ghi",
        "v3.k.cGF5bG9hZA." + "A" * 43,  # an HMAC-length signature (v2)
        "v2.k.cGF5bG9hZA." + "A" * 43,
        "v3.k.cGF5bG9hZA." + "A" * 85,
        "v3.k.cGF5bG9hZA." + "A" * 87,
        "v1.k.cGF5bG9hZA.short",
        "v1.k!.cGF5bG9hZA." + "A" * 43,
        "v1.k.cGF5 bG9hZA." + "A" * 43,
        "v1.k.cGF5bG9hZA." + "A" * 43 + ".extra",
        "v1." + "k" * 17 + ".cGF5bG9hZA." + "A" * 43,
        "v1.k." + "A" * 400 + "." + "A" * 43,
        "\x00" * 50,
        "ｖ1.k.cGF5bG9hZA." + "A" * 43,
    ],
)
def test_r_act_2_garbage_is_refused(text):
    with pytest.raises(InvalidCheckinToken):
        ct.verify(text, VERIFY, STARTS)


def test_r_act_2_truncated_tokens_are_refused():
    token = ct.issue(printed(), KEYS)
    for length in range(len(token)):
        with pytest.raises(InvalidCheckinToken):
            ct.verify(token[:length], VERIFY, STARTS)


def test_signed_but_unreadable_payload_is_still_only_invalid():
    """Only a leaked key (or a bug) gets here: the answer stays the same 422, never a 500."""
    secret = KEYS.keys[KEYS.current]
    head = f"{ACTIVITY}|{KESENNUMA}|{KESENNUMA}"
    for payload in (
        "nonsense",
        f"{head}|x|1|2|3||1",  # unknown kind
        f"{ACTIVITY}|1|2|p|1|2|3||1",  # codes not 6 digits
        f"{head}|p|5|4|3||1",  # expires before not_before
        f"{head}|p|1|2|3|20261399|1",  # no such day
        f"{head}|p|99999999999|99999999999|3||1",  # beyond datetime's range
        f"{head}|p|1|2|3|",  # a field missing (the v1 payload: no schedule revision)
        f"{head}|p|1|2|3||0",  # revisions start at 1
        f"{head}|p|1|2|3||01",  # one text per revision
    ):
        with pytest.raises(InvalidCheckinToken):
            ct.verify(forge(payload, KEYS.current, secret), VERIFY, STARTS)


def test_token_errors_are_domain_errors_never_5xx():
    for cls in (InvalidCheckinToken, UnknownSigningKey, CheckinTokenExpired, CheckinTokenNotYetValid):
        assert issubclass(cls, DomainError) and 400 <= cls.status < 500
    slugs = {InvalidCheckinToken.type_slug, CheckinTokenExpired.type_slug, CheckinTokenNotYetValid.type_slug}
    assert len(slugs) == 3 and UnknownSigningKey.type_slug == InvalidCheckinToken.type_slug


# --- time windows ------------------------------------------------------------------------------------------------


def test_r_act_2_printed_code_is_valid_from_30_minutes_before_until_30_minutes_after():
    claims = printed()
    assert (claims.not_before, claims.expires, claims.issued_at) == (
        STARTS - timedelta(minutes=30),
        ENDS + timedelta(minutes=30),
        BEFORE,
    )
    token = ct.issue(claims, KEYS)
    for now in (STARTS - timedelta(minutes=30), STARTS, ENDS, ENDS + timedelta(minutes=29, seconds=59)):
        assert ct.verify(token, VERIFY, now) == claims


def test_r_act_2_printed_code_scanned_too_early_is_not_yet_valid():
    token = ct.issue(printed(), KEYS)
    for now in (BEFORE, STARTS - timedelta(minutes=30, seconds=1)):
        with pytest.raises(CheckinTokenNotYetValid) as raised:
            ct.verify(token, VERIFY, now)
    assert raised.value.status == 422
    assert raised.value.extensions == {"valid_from": "2026-11-22T09:30:00+09:00"}


def test_r_act_2_printed_code_scanned_after_the_activity_has_expired():
    token = ct.issue(printed(), KEYS)
    for now in (ENDS + timedelta(minutes=30), ENDS + timedelta(days=30)):
        with pytest.raises(CheckinTokenExpired) as raised:
            ct.verify(token, VERIFY, now)
    assert raised.value.extensions == {"expired_at": "2026-11-22T12:30:00+09:00", "kind": "printed"}


# --- one day's window: a printed code cannot be farmed from home on other days (issue 7 part 3) --------------------

EVENT_STARTS = datetime(2026, 12, 5, 10, 0, tzinfo=TOKYO)
EVENT_ENDS = datetime(2026, 12, 7, 16, 0, tzinfo=TOKYO)  # a three-day event
YEAR_ENDS = datetime(2027, 11, 30, 21, 0, tzinfo=TOKYO)  # a blanket designation: a 自治会's year


def test_r_act_2_a_printed_code_never_spans_more_than_a_day():
    """A blanket activity's printed code used to be valid for its whole year (~300 days in a probe)."""
    for ends in (EVENT_ENDS, YEAR_ENDS, EVENT_STARTS + timedelta(hours=24, seconds=1)):
        with pytest.raises(ValueError, match="one day"):
            ct.printed_claims(ACTIVITY, KESENNUMA, KESENNUMA, EVENT_STARTS, ends, BEFORE)
    overnight = ct.printed_claims(ACTIVITY, KESENNUMA, KESENNUMA, EVENT_STARTS, EVENT_STARTS + timedelta(hours=24), BEFORE)
    assert overnight.attendance_day == date(2026, 12, 5) and overnight.expires - overnight.not_before == timedelta(hours=25)


@pytest.mark.parametrize(
    ("day", "window"),
    [
        (date(2026, 12, 5), (datetime(2026, 12, 5, 9, 30), datetime(2026, 12, 6, 0, 0))),  # first: from start - 30 min
        (date(2026, 12, 6), (datetime(2026, 12, 6, 0, 0), datetime(2026, 12, 7, 0, 0))),  # the whole Tokyo day
        (date(2026, 12, 7), (datetime(2026, 12, 7, 0, 0), datetime(2026, 12, 7, 16, 30))),  # last: until end + 30 min
    ],
)
def test_r_act_2_a_multi_day_code_is_valid_on_its_tokyo_day_only(day, window):
    claims = ct.printed_claims(ACTIVITY, KESENNUMA, KESENNUMA, EVENT_STARTS, EVENT_ENDS, BEFORE, day=day)
    start, end = (t.replace(tzinfo=TOKYO) for t in window)
    assert (claims.not_before, claims.expires, claims.attendance_day) == (start, end, day)
    token = ct.issue(claims, KEYS)
    assert ct.verify(token, VERIFY, start) == claims and ct.verify(token, VERIFY, end - timedelta(seconds=1)) == claims
    with pytest.raises(CheckinTokenExpired):
        ct.verify(token, VERIFY, end)  # midnight in Tokyo (15:00 UTC): the next day needs its own code
    with pytest.raises(CheckinTokenNotYetValid):
        ct.verify(token, VERIFY, start - timedelta(seconds=1))


def test_r_act_2_day_boundaries_are_tokyo_midnight_not_utc():
    claims = ct.printed_claims(ACTIVITY, KESENNUMA, KESENNUMA, EVENT_STARTS, YEAR_ENDS, BEFORE, day=date(2027, 3, 1))
    assert claims.not_before == datetime(2027, 2, 28, 15, 0, tzinfo=timezone.utc)
    assert claims.expires == datetime(2027, 3, 1, 15, 0, tzinfo=timezone.utc)
    in_utc = {"starts_at": EVENT_STARTS.astimezone(timezone.utc), "ends_at": YEAR_ENDS.astimezone(timezone.utc)}
    assert ct.activity_days(**in_utc) == (date(2026, 12, 5), date(2027, 11, 30))
    # An activity ending at midnight ends on the day before: no code for a day it does not run on.
    assert ct.activity_days(EVENT_STARTS, datetime(2026, 12, 8, 0, 0, tzinfo=TOKYO)) == (date(2026, 12, 5), date(2026, 12, 7))


@pytest.mark.parametrize("day", [date(2026, 12, 4), date(2026, 12, 8), date(2027, 12, 1)])
def test_r_act_2_no_printed_code_for_a_day_the_activity_does_not_run(day):
    with pytest.raises(ValueError, match="not a day of the activity"):
        ct.printed_claims(ACTIVITY, KESENNUMA, KESENNUMA, EVENT_STARTS, EVENT_ENDS, BEFORE, day=day)


def test_r_act_2_the_schedule_revision_is_signed():
    """A reschedule bumps the activity's revision; a code cannot be edited to claim the new one."""
    claims = ct.printed_claims(ACTIVITY, KESENNUMA, KESENNUMA, STARTS, ENDS, BEFORE, schedule_revision=1)
    version, kid, _, sig = ct.issue(claims, KEYS).split(".")
    bumped = ct.issue(claims.model_copy(update={"schedule_revision": 2}), KEYS).split(".")[2]
    with pytest.raises(InvalidCheckinToken):
        ct.verify(".".join((version, kid, bumped, sig)), VERIFY, STARTS)
    for bad in (0, ct.MAX_REVISION + 1):
        with pytest.raises(ValueError):
            ct.printed_claims(ACTIVITY, KESENNUMA, KESENNUMA, STARTS, ENDS, BEFORE, schedule_revision=bad)


def test_r_act_2_printed_margin_is_configurable():
    claims = printed(margin=timedelta(0))
    assert (claims.not_before, claims.expires) == (STARTS, ENDS)
    with pytest.raises(ValueError):
        printed(margin=timedelta(minutes=-1))
    with pytest.raises(ValueError):
        ct.printed_claims(ACTIVITY, KESENNUMA, KESENNUMA, ENDS, STARTS, BEFORE)
    with pytest.raises(ValueError):
        ct.printed_claims(ACTIVITY, KESENNUMA, KESENNUMA, STARTS.replace(tzinfo=None), ENDS, BEFORE)


def test_r_act_2_rotating_code_starts_at_the_period_boundary_and_lives_two_periods():
    now = datetime(2026, 11, 22, 10, 15, 42, 500_000, tzinfo=TOKYO)
    claims = rotating(now)
    assert claims.not_before == datetime(2026, 11, 22, 10, 15, 0, tzinfo=TOKYO)
    assert claims.expires == datetime(2026, 11, 22, 10, 17, 0, tzinfo=TOKYO)
    token = ct.issue(claims, KEYS)
    assert ct.verify(token, VERIFY, datetime(2026, 11, 22, 10, 16, 59, tzinfo=TOKYO)) == claims
    with pytest.raises(CheckinTokenExpired) as raised:
        ct.verify(token, VERIFY, datetime(2026, 11, 22, 10, 17, 0, tzinfo=TOKYO))
    assert raised.value.extensions["kind"] == "rotating"
    # A code photographed and sent on is useless two minutes later; one shown a second early is not yet valid.
    with pytest.raises(CheckinTokenNotYetValid):
        ct.verify(token, VERIFY, datetime(2026, 11, 22, 10, 14, 59, tzinfo=TOKYO))


def test_r_act_2_rotating_codes_change_every_period_and_are_equal_within_one():
    a = rotating(datetime(2026, 11, 22, 10, 15, 0, tzinfo=TOKYO))
    b = rotating(datetime(2026, 11, 22, 10, 15, 59, tzinfo=TOKYO))
    c = rotating(datetime(2026, 11, 22, 10, 16, 0, tzinfo=TOKYO))
    assert a.not_before == b.not_before and c.not_before == a.not_before + timedelta(minutes=1)
    assert ct.issue(a, KEYS) != ct.issue(c, KEYS)


def test_r_act_2_rotating_period_and_validity_are_configurable():
    now = datetime(2026, 11, 22, 10, 15, 42, tzinfo=TOKYO)
    claims = rotating(now, period=timedelta(seconds=30), periods_valid=3)
    assert claims.not_before == datetime(2026, 11, 22, 10, 15, 30, tzinfo=TOKYO)
    assert claims.expires == datetime(2026, 11, 22, 10, 17, 0, tzinfo=TOKYO)
    for bad in (dict(period=timedelta(0)), dict(period=timedelta(seconds=1.5)), dict(periods_valid=0)):
        with pytest.raises(ValueError):
            rotating(now, **bad)


def test_r_act_2_rotating_code_never_reaches_outside_the_activity_window():
    # Just after the window opens (09:29:40 with this margin): not before it although the period began at 09:29.
    early = rotating(datetime(2026, 11, 22, 9, 29, 50, tzinfo=TOKYO), margin=timedelta(minutes=30, seconds=20))
    assert early.not_before == datetime(2026, 11, 22, 9, 29, 40, tzinfo=TOKYO)
    assert early.expires == datetime(2026, 11, 22, 9, 31, tzinfo=TOKYO)
    # Just before it closes (12:30): not after 12:30 although two periods would reach 12:31.
    late = rotating(datetime(2026, 11, 22, 12, 29, 30, tzinfo=TOKYO))
    assert late.not_before == datetime(2026, 11, 22, 12, 29, tzinfo=TOKYO)
    assert late.expires == datetime(2026, 11, 22, 12, 30, tzinfo=TOKYO)
    assert ct.verify(ct.issue(late, KEYS), VERIFY, datetime(2026, 11, 22, 12, 29, 59, tzinfo=TOKYO)) == late


@pytest.mark.parametrize(
    "now",
    [
        BEFORE,
        datetime(2026, 11, 22, 9, 29, 59, tzinfo=TOKYO),
        datetime(2026, 11, 22, 12, 30, 0, tzinfo=TOKYO),
        datetime(2026, 11, 23, 10, 0, tzinfo=TOKYO),
    ],
)
def test_r_act_2_no_rotating_code_while_the_activity_is_not_running(now):
    with pytest.raises(OutsideActivityWindow) as raised:
        rotating(now)
    assert isinstance(raised.value, ValueError)  # the logic layer maps it to its activity-not-running problem
    assert (raised.value.window_start, raised.value.window_end) == (
        datetime(2026, 11, 22, 9, 30, tzinfo=TOKYO),
        datetime(2026, 11, 22, 12, 30, tzinfo=TOKYO),
    )


def test_rotating_window_works_across_time_zones_of_the_input():
    in_utc = {name: value.astimezone(timezone.utc) for name, value in (("starts_at", STARTS), ("ends_at", ENDS))}
    claims = ct.rotating_claims(ACTIVITY, MIYAGI, KESENNUMA, now=STARTS.astimezone(timezone.utc), **in_utc)
    assert claims.not_before == STARTS and claims.not_before.tzinfo == TOKYO


# --- keys and rotation -------------------------------------------------------------------------------------------


def test_keys_are_ed25519_32_bytes_and_private_ones_never_in_repr():
    keys = SigningKeys.generate()
    secret = keys.keys[keys.current]
    assert len(secret) == 32 and list(keys.keys) == [keys.current]
    assert secret.hex() not in repr(keys) and b64(secret) not in repr(keys) and "keys=" not in repr(keys)
    with pytest.raises(ValueError):
        SigningKeys(current="k", keys={"k": b"short"})
    with pytest.raises(ValueError):
        SigningKeys(current="other", keys={"k": b"k" * 32})
    with pytest.raises(ValueError):
        SigningKeys(current="bad.kid", keys={"bad.kid": b"k" * 32})
    with pytest.raises(ValueError):
        SigningKeys(current="a", keys={c: bytes([i]) * 32 for i, c in enumerate("abcd")})
    with pytest.raises(ValueError):
        SigningKeys(current="k", keys={"k": b"k" * 33})
    with pytest.raises(TypeError):
        keys.keys["new"] = b"n" * 32  # type: ignore[index]
    with pytest.raises(ValueError):
        ct.VerificationKeys(keys={"k": b"short"})


def test_decision_the_verification_keys_hold_no_private_key_and_cannot_sign():
    """docs/decisions.md: the checkin function holds only these; nothing in them makes a token."""
    keys = SigningKeys.generate().rotated()
    public = keys.verification_keys()
    assert set(public.keys) == set(keys.keys) and not hasattr(public, "sign") and not hasattr(public, "current")
    assert all(public.keys[kid] != keys.keys[kid] for kid in keys.keys)
    text = public.to_secret_string()
    assert all(base64.b64encode(seed).decode() not in text for seed in keys.keys.values())
    assert ct.VerificationKeys.from_secret_string(text) == public
    with pytest.raises(ValueError):
        SigningKeys.from_secret_string(text)  # not usable as a signing set
    with pytest.raises(ValueError):
        ct.VerificationKeys.from_secret_string(keys.to_secret_string())  # a signing set never loads as public keys


def test_r_act_2_token_signed_before_a_rotation_still_verifies():
    keys = SigningKeys.generate()
    old_token = ct.issue(printed(), keys)
    rotated = keys.rotated()
    assert rotated.current != keys.current and set(rotated.keys) == {keys.current, rotated.current}
    assert rotated.keys[keys.current] == keys.keys[keys.current]
    assert ct.verify(old_token, rotated.verification_keys(), STARTS) == printed()
    new_token = ct.issue(printed(), rotated)
    assert new_token.split(".")[1] == rotated.current
    with pytest.raises(UnknownSigningKey):  # a container with the keys before the rotation: refetch, then retry
        ct.verify(new_token, keys.verification_keys(), STARTS)


def test_r_act_2_key_dropped_after_two_rotations_no_longer_verifies():
    keys = SigningKeys.generate()
    token = ct.issue(printed(), keys)
    twice = keys.rotated().rotated()
    assert keys.current not in twice.keys and len(twice.keys) == 2
    with pytest.raises(InvalidCheckinToken):
        ct.verify(token, twice.verification_keys(), STARTS)


def test_rotation_can_keep_three_keys_at_most():
    keys = SigningKeys.generate()
    token = ct.issue(printed(), keys)
    twice = keys.rotated(keep=3).rotated(keep=3)
    assert len(twice.keys) == 3 and ct.verify(token, twice.verification_keys(), STARTS) == printed()
    thrice = twice.rotated(keep=3)
    assert len(thrice.keys) == 3 and keys.current not in thrice.keys
    assert list(thrice.keys)[-1] == thrice.current  # oldest first, newest (current) last
    for keep in (1, 4):
        with pytest.raises(ValueError):
            keys.rotated(keep=keep)


def test_secret_string_round_trip_is_json_with_base64_keys():
    keys = SigningKeys.generate().rotated()
    text = keys.to_secret_string()
    back = SigningKeys.from_secret_string(text)
    assert back.current == keys.current and dict(back.keys) == dict(keys.keys)
    assert list(back.keys) == list(keys.keys)
    token = ct.issue(printed(), keys)
    assert ct.verify(token, back.verification_keys(), STARTS) == printed()
    assert base64.b64encode(keys.keys[keys.current]).decode() in text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        '{"v": 2, "alg": "Ed25519", "current": "k", "keys": {}}',
        '{"v": 1, "current": "k", "keys": {"k": "' + base64.b64encode(b"k" * 32).decode() + '"}}',  # an HMAC set (v1)
        '{"v": 2, "alg": "HS256", "current": "k", "keys": {"k": "' + base64.b64encode(b"k" * 32).decode() + '"}}',
        '{"v": 2, "alg": "Ed25519", "current": "k", "keys": {"k": "not base64!"}}',
        '{"v": 2, "alg": "Ed25519", "current": "k", "keys": {"k": "c2hvcnQ="}}',
        '{"v": 2, "alg": "Ed25519", "current": "x", "keys": {"k": "' + base64.b64encode(b"k" * 32).decode() + '"}}',
        '{"v": 2, "alg": "Ed25519", "current": "k", "keys": {"k": 5}}',
    ],
)
def test_secret_string_that_is_not_a_key_set_is_refused(text):
    with pytest.raises(ValueError):
        SigningKeys.from_secret_string(text)


# --- what the QR code encodes ------------------------------------------------------------------------------------


def test_r_act_2_checkin_url_round_trip():
    token = ct.issue(printed(), KEYS)
    url = ct.checkin_url(token)
    assert url == "https://furusato.example.jp/c/" + token
    for scanned in (url, token, f"  {url}\n", f"\t{token} "):
        assert ct.token_from_scanned_text(scanned) == token
    assert ct.verify(ct.token_from_scanned_text(url), VERIFY, STARTS) == printed()
    staging = "https://stg.furusato.example.jp/c/"
    assert ct.token_from_scanned_text(ct.checkin_url(token, base=staging), base=staging) == token


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "https://furusato.example.jp/c/",
        "https://example.com/c/{token}",
        "http://furusato.example.jp/c/{token}",
        "https://furusato.example.jp/c/{token}?utm=x",
        "https://furusato.example.jp/c/{token}/",
        "https://furusato.example.jp/x/{token}",
        "WIFI:S:venue;T:WPA;P:secret;;",
        "{token}{token}",
        "x" * 10_000,
    ],
)
def test_r_act_2_scanned_text_that_is_not_a_checkin_code_is_refused(text):
    token = ct.issue(printed(), KEYS)
    with pytest.raises(InvalidCheckinToken):
        ct.token_from_scanned_text(text.replace("{token}", token))


# --- what stops earlier codes: the activity's schedule revision ---------------------------------------------------


def _activity(**changes):
    from shared.domain.activities import Activity

    base = dict(
        id=ACTIVITY, organisation_code=KESENNUMA, venue_code=KESENNUMA, name="海岸清掃", kind="project",
        starts_at=STARTS, ends_at=ENDS, place="大島 浦の浜", created_at=BEFORE, updated_at=BEFORE, schedule_revision=4,
    )
    return Activity(**{**base, **changes})


@pytest.mark.parametrize(
    "change",
    [
        {"starts_at": STARTS + timedelta(minutes=5)},  # a 5-minute move used to leave the old code working
        {"ends_at": ENDS - timedelta(minutes=1)},
        {"place": "大島 浦の浜 第二駐車場"},
        {"venue_code": MIYAGI},
        {"multi_day": True},
        {"blanket": True},
    ],
)
def test_r_act_2_any_change_of_time_or_place_bumps_the_schedule_revision(change):
    from shared.domain.activities import schedule_revision_after

    assert schedule_revision_after(_activity(), _activity(**change)) == 5


def test_r_act_2_other_edits_keep_printed_codes_valid():
    from shared.domain.activities import schedule_revision_after

    for change in ({"name": "海岸清掃（雨天決行）"}, {"description": "軍手持参"}, {"capacity": 30}, {"recruiting": True}, {}):
        assert schedule_revision_after(_activity(), _activity(**change)) == 4
    same_time_other_zone = {"starts_at": STARTS.astimezone(timezone.utc)}  # the same instant, written in UTC
    assert schedule_revision_after(_activity(), _activity(**same_time_other_zone)) == 4
