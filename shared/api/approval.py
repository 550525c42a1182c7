"""The approval page over HTTP (R-PRE-5): the admin API's routes with auth=False (shared/routes.py) that staff reach
from the e-mailed link. Forms in, HTML pages out (shared/web/approval_page.py), the staff session in a cookie; the
checks themselves are the use cases' (shared/logic/approval.py).

Every answer is a page, refusals included (a browser shows problem JSON as text): the invalid link, sign-in
failures, another organisation, a viewer, a stale form, AWS unavailable. Only a request no browser sends from these
forms (another media type, an oversized or malformed body) gets the API's problem JSON.

Headers: text/html (UTF-8), no-store (every response of the API), a Content-Security-Policy allowing nothing but the
page's own stylesheet (by hash) and forms posting to this origin, no framing, and no Referer (the URL holds the link's
token). The cookie: HttpOnly, Secure, SameSite=Strict, Path=<the page's path>, 30 minutes."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from ..domain import approval_session
from ..domain.errors import (
    DomainError,
    Forbidden,
    InvalidApprovalLink,
    InvalidInput,
    PremiumApplicationDecided,
    RejectionReasonRequired,
    Unauthenticated,
)
from ..dal.staff_sign_in import SignInRefused
from ..logic.approval import ApprovalDesk, MfaRequired, Signed
from ..web import approval_page as pages
from .resolver import FormBody

logger = logging.getLogger(__name__)
HTML = "text/html; charset=utf-8"
PAGE_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src {pages.STYLE_SOURCE}; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
LINK_FIELD = "The approval link's token (the `link` query parameter of the e-mailed URL)"
SIGN_IN_FORM = FormBody({
    "link": LINK_FIELD,
    "email": "The staff account's e-mail address",
    "password": "Its password (the first step)",
    "session": "Cognito's challenge session (the code step)",
    "code": "The authenticator app's six-digit code (the code step)",
})
DECISION_FORM = FormBody({
    "link": LINK_FIELD,
    "decision": "approve or reject",
    "reason": "Why not (required to reject; shown to the applicant)",
    "csrf": "The form's token (from the application page)",
})

REFUSALS = {
    "credentials": "メールアドレスまたはパスワードが違います。",
    "expired": "時間がたったため、サインインをやり直してください。",
    "setup_required": "この職員アカウントは、パスワードまたは認証アプリの初回設定が済んでいません。"
                      "職員用の管理画面で設定してから、もう一度お試しください。",
    "token": "サインインできませんでした。しばらくしてから、もう一度お試しください。",
}
INVALID_LINK = ("このリンクは使えません", "承認リンクが無効か、有効期限が切れているか、すでに使われています。"
                "申請の状況は職員用の管理画面で確認してください。")
OTHER_ORGANISATION = ("この申請は表示できません", "この承認リンクは、サインインしている職員の自治体の申請ではありません。")


def page(status: int, html: str, headers: dict[str, str] | None = None, cookies: list[Cookie] | None = None) -> Response:
    return Response(status_code=status, content_type=HTML, body=html, headers={**PAGE_HEADERS, **(headers or {})},
                    cookies=cookies)


def error(status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return page(status, pages.error_page(title, message), headers)


def base_path(approval_base_url: str) -> str:
    """The path the API is served under (the stage, "/v1"; "" at a domain's root): from APPROVAL_BASE_URL, the very
    URL the e-mailed links start with, so forms and the cookie follow what staff opened."""
    return urlsplit(approval_base_url).path.rstrip("/")


def session_cookie(event: Any) -> str | None:
    """The session cookie's value from the Cookie header(s) (HTTP/2 may split them in several)."""
    values: list[str] = []
    for name, found in (event.get("multiValueHeaders") or {}).items():
        if name.lower() == "cookie":
            values += found
    if not values:
        values = [v for k, v in (event.get("headers") or {}).items() if k.lower() == "cookie"]
    for header in values:
        for part in header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == approval_session.COOKIE_NAME:
                return value
    return None


class ApprovalPages:
    """One request's pages: the use cases, the page's path prefix, the request's session cookie."""

    def __init__(self, desk: ApprovalDesk, base: str, cookie: str | None) -> None:
        self.desk = desk
        self.base = base
        self.cookie = cookie

    def _cookie(self, signed: Signed) -> Cookie:
        return Cookie(approval_session.COOKIE_NAME, signed.session, path=f"{self.base}/approval", secure=True,
                      http_only=True, same_site=SameSite.STRICT_MODE, max_age=approval_session.SESSION_MINUTES * 60)

    def _application(self, status: int, signed: Signed, token: str, application, **shown: Any) -> Response:
        view = pages.ApplicationPage(
            base=self.base, link=token, organisation_name=signed.staff.organisation.name, staff_roles=signed.staff.roles,
            application=application, applicant_name=self.desk.applicant_name(application),
            csrf=self.desk.csrf_for(signed, application), **shown,
        )
        return page(status, pages.application_page(view))

    def _sign_in(self, status: int, token: str, email: str = "", message: str | None = None) -> Response:
        return page(status, pages.sign_in_page(pages.SignInPage(self.base, token, email, message)))

    def guarded(self, action) -> Response:
        """Any other refusal as a page with the error's own title and status (503 with Retry-After)."""
        try:
            return action()
        except InvalidApprovalLink:
            return error(403, *INVALID_LINK)
        except DomainError as refused:
            headers = {"Retry-After": str(refused.retry_after_seconds)} if refused.retry_after_seconds else None
            return error(refused.status, refused.title, "もう一度お試しください。解決しない場合は運用担当にご連絡ください。", headers)

    # --- GET /approval -----------------------------------------------------------------------------------------------

    def open(self, token: str) -> Response:
        link, application = self.desk.open_link(token)
        try:
            signed = self.desk.signed_in(self.cookie)
        except Unauthenticated:
            return self._sign_in(200, token)
        try:
            self.desk.require_organisation(signed.staff, link)
        except Forbidden:
            return error(403, *OTHER_ORGANISATION)
        return self._application(200, signed, token, application)

    # --- POST /approval/sign-in --------------------------------------------------------------------------------------

    def sign_in(self, form: dict[str, str]) -> Response:
        token, email = form.get("link", ""), form.get("email", "").strip()
        link, _ = self.desk.open_link(token)  # no password is tried without a valid link
        session = form.get("session", "")
        try:
            if session:
                outcome = self.desk.answer_mfa(email, session, form.get("code", "").strip())
            elif email and form.get("password"):
                outcome = self.desk.authenticate(email, form["password"])
            else:
                return self._sign_in(401, token, email, "メールアドレスとパスワードを入力してください。")
        except SignInRefused as refused:
            logger.info("approval page sign-in refused", extra={"reason": refused.reason})
            if refused.reason == "code":
                return page(401, pages.code_page(pages.CodePage(self.base, token, email, session,
                                                                "確認コードが違います。認証アプリの新しいコードを入力してください。")))
            return self._sign_in(401, token, email, REFUSALS[refused.reason])
        except Forbidden:  # an account without an organisation or a role
            return error(403, "この職員アカウントでは承認できません", "職員アカウントに自治体または役割が設定されていません。管理者にご連絡ください。")
        if isinstance(outcome, MfaRequired):
            return page(200, pages.code_page(pages.CodePage(self.base, token, email, outcome.session)))
        try:
            self.desk.require_organisation(outcome.staff, link)
        except Forbidden:
            return error(403, *OTHER_ORGANISATION)
        location = f"{self.base}/approval?link={quote(token, safe='')}"
        return page(303, pages.redirect_page(location), headers={"Location": location}, cookies=[self._cookie(outcome)])

    # --- POST /approval/decision -------------------------------------------------------------------------------------

    def decide(self, form: dict[str, str]) -> Response:
        token = form.get("link", "")
        link, application = self.desk.open_link(token)
        try:
            signed = self.desk.signed_in(self.cookie)
        except Unauthenticated:
            return self._sign_in(401, token, message="サインインの有効期限が切れました。もう一度サインインしてから判断してください。")
        decision, reason = form.get("decision", ""), form.get("reason", "")
        shown = {"decision": decision if decision in ("approve", "reject") else None, "reason": reason}
        try:
            decided = self.desk.decide(signed, link, application, form.get("csrf"), decision, reason)
        except Forbidden as refused:
            why = refused.extensions.get("reason")
            if why == "organisation":
                return error(403, *OTHER_ORGANISATION)
            if why == "csrf":
                return error(403, "このフォームは使えません", "フォームの有効期限が切れたか、別のサインインのものです。承認リンクをもう一度開いてください。")
            return error(403, "承認する権限がありません", "承認・不承認は編集者の職員が行います。閲覧者のアカウントでは内容の確認だけができます。")
        except RejectionReasonRequired:
            return self._application(422, signed, token, application, **shown, error_field="reason",
                                     error="不承認にするときは、申請者に伝える理由を入力してください。")
        except InvalidInput as invalid:
            field = invalid.extensions.get("field")
            message = ("承認するか、承認しないかを選んでください。" if field == "decision"
                       else f"不承認の理由は{pages.REJECTION_REASON_MAX}文字以内で入力してください。")
            return self._application(422, signed, token, application, **shown, error_field=field, error=message)
        except PremiumApplicationDecided:
            return error(409, "この申請はすでに処理されています", "ほかの職員が先に判断したか、申請の状態が変わりました。")
        return page(200, pages.result_page(pages.ResultPage(signed.staff.organisation.name, decided)))
