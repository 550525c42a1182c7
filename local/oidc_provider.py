"""A development OpenID Connect provider standing in for the Digital Agency's デジタル認証アプリ in the local runtime
(never deployed). It speaks the protocol of docs (issue 8 design): authorization code + PKCE S256 + state + nonce,
client authentication by `private_key_jwt`, pairwise subjects, the card's claims in the ID token.

It checks what the real provider checks, so the platform's client is tested against refusals and not only the happy
path, and it can hand out ID tokens with one chosen defect (`fault`) so the client's own checks are exercised too.
There is no sign-in and no session: approving on the page stands for reading the card and entering its PIN."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from shared import clock

CODE_SECONDS = 60  # an authorization code is for the redirect that follows at once
ID_TOKEN_SECONDS = 600
ASSERTION_MAX_SECONDS = 300  # a client assertion may live at most this long (exp - iat)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPES = ("openid", "name", "address", "birthdate", "gender")
FAULTS = ("none", "bad_signature", "wrong_nonce", "expired", "wrong_audience", "wrong_issuer")
GENDERS = {"female": "女性", "male": "男性", "other": "その他"}
_PKCE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 §4.1
_PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")  # BASE64URL of a SHA-256 digest, no padding
_POSTAL_CODE = re.compile(r"(\d{3})-?(\d{4})")


@dataclass(frozen=True)
class Identity:
    """What the card's chip gives (基本4情報). `age` stands for a birth date relative to today: minors stay minors
    however the clock is moved."""

    name: str = ""
    address: str = ""
    postal_code: str = ""
    birthdate: str = ""  # YYYY-MM-DD
    age: int | None = None
    gender: str = ""

    def birth_date(self) -> str:
        if self.age is None:
            return self.birthdate
        today = clock.today()
        try:  # the latest birth date of that age: they turned it today
            return today.replace(year=today.year - self.age).isoformat()
        except ValueError:  # 29 February today, and that year had none
            return date(today.year - self.age, 2, 28).isoformat()


_HIDA = {"address": "岐阜県飛騨市古川町本町2-22", "postal_code": "509-4292"}  # 飛騨市役所
PRESETS: dict[str, tuple[str, Identity]] = {
    "hida-adult": ("飛騨市に住む大人", Identity("飛騨 太郎", birthdate="1990-04-01", gender="male", **_HIDA)),
    "tokyo-adult": ("東京都に住む大人（飛騨市外）", Identity(
        "東京 花子", "東京都千代田区霞が関1-1-1", "100-0013", "1985-10-12", gender="female")),
    "minor-16": ("16歳", Identity("飛騨 次郎", age=16, gender="male", **_HIDA)),
    "minor-14": ("14歳（利用者証明用電子証明書のみ）", Identity("飛騨 三郎", age=14, gender="male", **_HIDA)),
    "guardian": ("保護者（大人）", Identity("飛騨 和子", birthdate="1975-06-30", gender="female", **_HIDA)),
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def client_assertion(client_id: str, private_key: Any, audience: str, *, kid: str, algorithm: str = "ES256",
                     lifetime: int = 120, jti: str | None = None) -> str:
    """A `private_key_jwt` client assertion (RFC 7523) as the platform sends it; for tests."""
    iat = int(clock.now().timestamp())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": iat, "exp": iat + lifetime,
              "jti": jti or secrets.token_urlsafe(16)}
    return jwt.encode(claims, private_key, algorithm=algorithm, headers={"kid": kid})


@dataclass(frozen=True)
class _Client:
    keys: tuple[jwt.PyJWK, ...]
    redirect_uris: tuple[str, ...]


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str
    scope: tuple[str, ...]
    identity: Identity
    subject: str
    fault: str
    auth_time: int
    expires_at: int


class _RequestError(Exception):
    """An authorization request the page cannot go on with (redirect with error=invalid_request)."""


class _TokenError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


class DevelopmentProvider:
    """WSGI application; `issuer` is the URL it is served at (the endpoints hang below it)."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer.rstrip("/")
        self.authorization_endpoint = f"{self.issuer}/authorize"
        self.token_endpoint = f"{self.issuer}/token"
        self.jwks_uri = f"{self.issuer}/jwks"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        # The bad_signature fault signs with this one under the real kid: the client must check the signature,
        # not just find the key.
        self._rogue_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        thumbprint = json.dumps({k: public[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
        self.kid = _b64url(hashlib.sha256(thumbprint.encode()).digest())  # RFC 7638
        self._jwk = {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}
        self._clients: dict[str, _Client] = {}
        self._codes: dict[str, _Grant] = {}
        self._jtis: dict[tuple[str, str], int] = {}  # (client, jti) -> exp; forgotten once the assertion expired
        self._lock = threading.Lock()  # served by a threaded server: codes and jtis must be taken exactly once
        prefix = urlsplit(self.issuer).path
        self._urls = Map([
            Rule(f"{prefix}/.well-known/openid-configuration", endpoint="discovery", methods=["GET"]),
            Rule(f"{prefix}/jwks", endpoint="jwks", methods=["GET"]),
            Rule(f"{prefix}/authorize", endpoint="authorize", methods=["GET", "POST"]),
            Rule(f"{prefix}/token", endpoint="token", methods=["POST"]),
        ])

    def register_client(self, client_id: str, jwks: dict, redirect_uris: list[str]) -> None:
        keys = tuple(jwt.PyJWK(k) for k in jwks["keys"])  # refuses a malformed key now, not at the first login
        with self._lock:
            self._clients[client_id] = _Client(keys, tuple(redirect_uris))

    def __call__(self, environ, start_response):
        request = Request(environ)
        request.max_content_length = 64 * 1024
        try:
            endpoint, _ = self._urls.bind_to_environ(environ).match()
            response = getattr(self, f"_{endpoint}")(request)
        except HTTPException as error:
            response = error.get_response(environ)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response(environ, start_response)

    # --- discovery ---------------------------------------------------------------------------------------------

    def _discovery(self, request: Request) -> Response:
        return _json({
            "issuer": self.issuer,
            "authorization_endpoint": self.authorization_endpoint,
            "token_endpoint": self.token_endpoint,
            "jwks_uri": self.jwks_uri,
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(SCOPES),
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr",
                                 "name", "address", "birthdate", "gender"],
            "authorization_response_iss_parameter_supported": True,
        })

    def _jwks(self, request: Request) -> Response:
        return _json({"keys": [self._jwk]})

    # --- authorization -----------------------------------------------------------------------------------------

    def _authorize(self, request: Request) -> Response:
        # The original parameters come as hidden fields from the page, or in the query string from curl.
        params = {k: request.form.get(k) or request.args.get(k, "") for k in
                  ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
                   "code_challenge", "code_challenge_method")}
        client = self._clients.get(params["client_id"])
        if client is None or params["redirect_uri"] not in client.redirect_uris:
            # Never redirect to an address the client did not register: that would make us an open redirector.
            return _page("認証要求を受け付けられません", "<p>クライアントが登録されていないか、戻り先 (redirect_uri)"
                         " が登録されたものと一致しません。</p>", status=400)
        try:
            _check_authorization_request(params)
        except _RequestError as error:
            return self._redirect(params, error="invalid_request", error_description=str(error))
        if request.method == "GET":
            return self._form(params)
        if request.form.get("decision") == "cancel":
            return self._redirect(params, error="access_denied")
        try:
            identity, fault, subject = _identity_from(request.form)
        except ValueError as error:
            return self._form(params, request.form, str(error))
        code = secrets.token_urlsafe(32)
        now = int(clock.now().timestamp())
        grant = _Grant(params["client_id"], params["redirect_uri"], params["code_challenge"], params["nonce"],
                       tuple(params["scope"].split()), identity,
                       subject or _pairwise_subject(params["client_id"], identity), fault, now, now + CODE_SECONDS)
        with self._lock:
            self._codes = {c: g for c, g in self._codes.items() if g.expires_at > now}  # keep the store small
            self._codes[code] = grant
        return self._redirect(params, code=code)

    def _redirect(self, params: dict[str, str], **answer: str) -> Response:
        parts = urlsplit(params["redirect_uri"])
        answer |= {"state": params["state"]} if params["state"] else {}
        query = urlencode(parse_qsl(parts.query) + list(answer.items()) + [("iss", self.issuer)])
        return Response(status=302, headers={"Location": urlunsplit(parts._replace(query=query))})

    def _form(self, params: dict[str, str], values: Any = None, error: str = "") -> Response:
        values = values or {}

        def value(name: str) -> str:
            return html.escape(values.get(name, ""), quote=True)

        chosen = values.get("preset", "hida-adult") if values else "hida-adult"
        hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v, quote=True)}">'
                         for k, v in params.items())
        presets = "".join(f'<option value="{k}"{" selected" if k == chosen else ""}>{html.escape(label)}：'
                          f"{html.escape(p.name)}</option>" for k, (label, p) in PRESETS.items())
        genders = "".join(f'<option value="{k}"{" selected" if values.get("gender") == k else ""}>{v}</option>'
                          for k, v in GENDERS.items())
        faults = "".join(f'<option value="{f}"{" selected" if values.get("fault") == f else ""}>{f}</option>'
                         for f in FAULTS)
        body = f"""<p>ローカル環境専用の模擬画面です。デジタル認証アプリの代わりに、テスト用の本人情報を返します。</p>
<p><strong>{html.escape(params["client_id"])}</strong> が次の情報の提供を求めています：
{html.escape("、".join(s for s in params["scope"].split() if s != "openid"))}</p>
{f'<p role="alert" class="error">{html.escape(error)}</p>' if error else ""}
<form method="post" action="{html.escape(self.authorization_endpoint, quote=True)}">{hidden}
<fieldset><legend>テスト用の人物</legend>
<label for="preset">人物</label>
<select id="preset" name="preset"><option value="">（下の欄にすべて入力する）</option>{presets}</select>
</fieldset>
<fieldset><legend>入力した項目は、選んだ人物の項目より優先されます</legend>
<label for="name">氏名</label><input id="name" name="name" value="{value("name")}" autocomplete="off">
<label for="address">住所</label><input id="address" name="address" value="{value("address")}">
<label for="postal_code">郵便番号（例 509-4292）</label>
<input id="postal_code" name="postal_code" value="{value("postal_code")}" inputmode="numeric">
<label for="birthdate">生年月日</label>
<input id="birthdate" name="birthdate" type="date" value="{value("birthdate")}">
<label for="age">年齢（生年月日の代わりに。今日その年齢になった人とします）</label>
<input id="age" name="age" type="number" min="0" max="130" value="{value("age")}">
<label for="gender">性別</label>
<select id="gender" name="gender"><option value="">（選んだ人物のまま）</option>{genders}</select>
<label for="subject">識別子 sub（任意。空欄なら氏名と生年月日から作ります）</label>
<input id="subject" name="subject" value="{value("subject")}">
</fieldset>
<fieldset><legend>テスト用の不具合</legend>
<label for="fault">IDトークンに入れる不具合</label><select id="fault" name="fault">{faults}</select>
</fieldset>
<button type="submit" name="decision" value="approve">承認</button>
<button type="submit" name="decision" value="cancel">キャンセル</button>
</form>"""
        return _page("マイナンバーカードによる本人確認（開発用）", body, status=400 if error else 200)

    # --- token -------------------------------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        try:
            return _json(self._exchange(request.form), headers={"Pragma": "no-cache"})
        except _TokenError as error:
            return _json({"error": error.error, "error_description": error.description}, status=400)

    def _exchange(self, form) -> dict[str, Any]:
        if not form.get("grant_type"):
            raise _TokenError("invalid_request", "grant_type is required")
        if form["grant_type"] != "authorization_code":
            raise _TokenError("unsupported_grant_type", "only authorization_code is supported")
        if not form.get("code"):
            raise _TokenError("invalid_request", "code is required")
        with self._lock:  # a code is spent by the first request that presents it, whatever becomes of it
            grant = self._codes.pop(form["code"], None)
        client_id = self._authenticate(form)
        now = int(clock.now().timestamp())
        if grant is None or grant.expires_at <= now:
            raise _TokenError("invalid_grant", "the code is unknown, used or expired")
        if grant.client_id != client_id or grant.redirect_uri != form.get("redirect_uri"):
            raise _TokenError("invalid_grant", "the code was issued to another client or redirect_uri")
        verifier = form.get("code_verifier", "")
        if not _PKCE_VERIFIER.fullmatch(verifier):
            raise _TokenError("invalid_request", "code_verifier must be 43-128 characters of [A-Za-z0-9-._~]")
        if not hmac.compare_digest(pkce_challenge(verifier), grant.code_challenge):
            raise _TokenError("invalid_grant", "code_verifier does not match code_challenge")
        return {"access_token": secrets.token_urlsafe(32), "token_type": "Bearer", "expires_in": ID_TOKEN_SECONDS,
                "id_token": self._id_token(grant, now), "scope": " ".join(grant.scope)}

    def _authenticate(self, form) -> str:
        """private_key_jwt (RFC 7523 §3, OIDC Core §9): the client id the assertion proves."""
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            raise _TokenError("invalid_client", f"client_assertion_type must be {ASSERTION_TYPE}")
        assertion = form["client_assertion"]
        try:
            header = jwt.get_unverified_header(assertion)
            client_id = form.get("client_id") or jwt.decode(assertion, options={"verify_signature": False})["iss"]
        except (jwt.PyJWTError, KeyError):
            raise _TokenError("invalid_client", "client_assertion is not a JWT") from None
        client = self._clients.get(client_id)
        if client is None:
            raise _TokenError("invalid_client", "unknown client")
        if header.get("alg") not in ("ES256", "RS256"):
            raise _TokenError("invalid_client", "client_assertion must be signed with ES256 or RS256")
        claims = None
        for key in client.keys:
            if header.get("kid") not in (None, key.key_id) or header.get("alg") != key.algorithm_name:
                continue
            try:
                claims = jwt.decode(
                    assertion, key.key, algorithms=[key.algorithm_name], audience=[self.token_endpoint, self.issuer],
                    issuer=client_id,
                    # Times are checked below against shared.clock, which PyJWT does not know.
                    options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"], "verify_exp": False,
                             "verify_iat": False, "verify_nbf": False})
                break
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as error:
                raise _TokenError("invalid_client", f"client_assertion: {error}") from None
        if claims is None:
            raise _TokenError("invalid_client", "client_assertion is not signed by a key of the client")
        now = int(clock.now().timestamp())
        if claims["sub"] != client_id:
            raise _TokenError("invalid_client", "client_assertion sub must be the client_id")
        if not isinstance(claims["exp"], int) or not isinstance(claims["iat"], int) or claims["exp"] <= now:
            raise _TokenError("invalid_client", "client_assertion has expired")
        if claims["exp"] - claims["iat"] > ASSERTION_MAX_SECONDS or claims["iat"] > now + 60:
            raise _TokenError("invalid_client", "client_assertion lives too long or was issued in the future")
        with self._lock:
            self._jtis = {k: exp for k, exp in self._jtis.items() if exp > now}
            if (client_id, str(claims["jti"])) in self._jtis:
                raise _TokenError("invalid_client", "client_assertion jti was used before")
            self._jtis[(client_id, str(claims["jti"]))] = claims["exp"]
        return client_id

    def _id_token(self, grant: _Grant, now: int) -> str:
        person = grant.identity
        iat = now - 2 * ID_TOKEN_SECONDS if grant.fault == "expired" else now
        claims: dict[str, Any] = {
            "iss": "https://another-provider.example" if grant.fault == "wrong_issuer" else self.issuer,
            "sub": grant.subject,
            "aud": "another-client" if grant.fault == "wrong_audience" else grant.client_id,
            "iat": iat, "exp": iat + ID_TOKEN_SECONDS, "auth_time": min(grant.auth_time, iat),
            "nonce": f"not-{grant.nonce}" if grant.fault == "wrong_nonce" else grant.nonce,
            # The authentication certificate only: under-15 cards carry no signature certificate.
            "amr": ["user_auth_cert"],
        }
        # One scope per attribute, as the real provider asks consent per attribute.
        if "name" in grant.scope:
            claims["name"] = person.name
        if "birthdate" in grant.scope:
            claims["birthdate"] = person.birth_date()
        if "gender" in grant.scope:
            claims["gender"] = person.gender
        if "address" in grant.scope:
            claims["address"] = {"formatted": person.address} | (
                {"postal_code": person.postal_code} if person.postal_code else {})
        key = self._rogue_key if grant.fault == "bad_signature" else self._key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})


def _check_authorization_request(params: dict[str, str]) -> None:
    if params["response_type"] != "code":
        raise _RequestError("response_type must be code")
    if "openid" not in params["scope"].split():
        raise _RequestError("scope must contain openid")
    if not params["state"] or not params["nonce"]:
        raise _RequestError("state and nonce are required")
    if params["code_challenge_method"] != "S256" or not _PKCE_CHALLENGE.fullmatch(params["code_challenge"]):
        raise _RequestError("an S256 code_challenge is required")


def _identity_from(form) -> tuple[Identity, str, str]:
    """The identity a form describes: a preset, then every typed field over it. Messages are for the page.
    Without a preset field at all (curl), the fields go over the first preset, so a name and a birth date suffice."""
    preset = form.get("preset", next(iter(PRESETS)))
    if preset and preset not in PRESETS:
        raise ValueError(f"テスト用の人物 {preset} はありません")
    person = PRESETS[preset][1] if preset else Identity()
    typed = {k: unicodedata.normalize("NFKC", form.get(k, "")).strip()
             for k in ("name", "address", "postal_code", "birthdate", "age", "gender")}
    person = replace(person, **{k: typed[k] for k in ("name", "address", "gender") if typed[k]})
    if typed["postal_code"]:
        match = _POSTAL_CODE.fullmatch(typed["postal_code"])
        if not match:
            raise ValueError("郵便番号は 7 桁の数字で入力してください（例 509-4292）")
        person = replace(person, postal_code=f"{match[1]}-{match[2]}")
    if typed["birthdate"]:
        try:
            born = date.fromisoformat(typed["birthdate"])
        except ValueError:
            raise ValueError("生年月日は YYYY-MM-DD の形で入力してください") from None
        if born > clock.today():
            raise ValueError("生年月日が未来の日付です")
        person = replace(person, birthdate=born.isoformat(), age=None)
    elif typed["age"]:
        if not typed["age"].isdigit() or int(typed["age"]) > 130:
            raise ValueError("年齢は 0 から 130 までの数で入力してください")
        person = replace(person, birthdate="", age=int(typed["age"]))
    missing = [label for label, present in (("氏名", person.name), ("住所", person.address),
                                            ("生年月日または年齢", person.birthdate or person.age is not None),
                                            ("性別", person.gender)) if not present]
    if missing:
        raise ValueError(f"{'、'.join(missing)}を入力するか、テスト用の人物を選んでください")
    if person.gender not in GENDERS:
        raise ValueError("性別は female、male、other のいずれかです")
    if person.age is not None:  # fixed now, so that the code, the sub and the ID token agree on one date
        person = replace(person, birthdate=person.birth_date(), age=None)
    fault = form.get("fault") or "none"
    if fault not in FAULTS:
        raise ValueError(f"不具合は {'、'.join(FAULTS)} のいずれかです")
    subject = form.get("subject", "").strip()
    if subject and (len(subject) > 255 or not subject.isascii()):
        raise ValueError("識別子 sub は 255 文字以内の ASCII 文字です")  # OIDC Core §2
    return person, fault, subject


def _pairwise_subject(client_id: str, person: Identity) -> str:
    """The same person, presenting again to the same client, gets the same sub; another client gets another.
    Deterministic (no per-instance secret) so that a restarted local runtime still knows its people."""
    name = "".join(unicodedata.normalize("NFKC", person.name).split())
    return _b64url(hashlib.sha256("\x00".join((client_id, name, person.birth_date())).encode()).digest())


def _json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    content_type="application/json; charset=utf-8")


def _page(title: str, body: str, status: int = 200) -> Response:
    page = f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;line-height:1.6}}
label,input,select{{display:block}}input,select{{margin-bottom:.75rem;font-size:1rem;padding:.25rem;width:100%}}
button{{font-size:1rem;padding:.5rem 1.5rem;margin-right:1rem}}.error{{color:#b00020;font-weight:bold}}</style>
</head><body><main><h1>{html.escape(title)}</h1>
{body}
</main></body></html>"""
    # frame-ancestors: a consent page must not be framed (clickjacking), even a pretend one.
    return Response(page, status=status, content_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                        "frame-ancestors 'none'"})
