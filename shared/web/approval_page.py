"""The approval page's HTML (R-PRE-5): sign-in, the TOTP code, the application with the decision form, the result, and
the error page. Pure functions of view models; every value is escaped (html.escape), the markup is semantic (main,
h1, a label for every input, a fieldset with a legend for the choice, errors tied to their inputs with
aria-describedby) and needs no JavaScript. One stylesheet, inline, from the Digital Agency design system's tokens
(shared/web/tokens.py), so the Content-Security-Policy allows exactly its hash (STYLE_SOURCE).

Staff see what they need to decide and no more (R-PRIV-2): the applicant's user id and, where the person gave one to
this organisation, their name; the judgement, its reasons, the occasions counted. No address, birth date or e-mail."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import Literal

from .. import clock
from ..domain.premium_application import REJECTION_REASON_MAX, STATUS_LABELS, PremiumApplication
from .tokens import TOKENS

SITE_NAME = "ふるさと住民登録 職員用"

_RULES = """
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font-family:var(--font-family-sans);font-size:var(--font-size-16);line-height:var(--line-height-170);
color:var(--color-neutral-solid-gray-800);background:var(--color-neutral-white)}
.site{background:var(--color-primitive-blue-900);color:var(--color-neutral-white);padding:.75rem 1rem}
.site p{margin:0;font-weight:var(--font-weight-700)}
main{max-width:48rem;margin:0 auto;padding:.5rem 1rem 3rem}
h1{font-size:var(--font-size-28);line-height:var(--line-height-150);margin:1.5rem 0 1rem}
h2{font-size:var(--font-size-22);line-height:var(--line-height-150);margin:2rem 0 .75rem;padding-bottom:.25rem;
border-bottom:1px solid var(--color-neutral-solid-gray-420)}
h3{font-size:var(--font-size-18);line-height:var(--line-height-150);margin:1.25rem 0 .5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1.5rem;margin:0}
dt{font-weight:var(--font-weight-700)}
dd{margin:0}
table{border-collapse:collapse;width:100%}
caption{text-align:left;font-weight:var(--font-weight-700);padding:.25rem 0}
th,td{border:1px solid var(--color-neutral-solid-gray-420);padding:.5rem;text-align:left;vertical-align:top}
thead th{background:var(--color-neutral-solid-gray-50)}
.field{margin:1.25rem 0}
label,legend{display:block;font-weight:var(--font-weight-700);margin-bottom:.25rem}
input[type=email],input[type=password],input[type=text],textarea{display:block;width:100%;max-width:32rem;
padding:.75rem;font:inherit;color:inherit;background:var(--color-neutral-white);
border:1px solid var(--color-neutral-solid-gray-600);border-radius:var(--border-radius-8)}
[aria-invalid=true]{border:2px solid var(--color-semantic-error-1)}
fieldset{border:1px solid var(--color-neutral-solid-gray-420);border-radius:var(--border-radius-8);padding:.75rem 1rem;
margin:1.25rem 0}
legend{padding:0 .25rem}
.choice{display:flex;align-items:center;gap:.5rem;margin:.5rem 0}
.choice label{display:inline;font-weight:var(--font-weight-400);margin:0}
.choice input{width:1.5rem;height:1.5rem;margin:0;accent-color:var(--color-primitive-blue-900)}
.hint{color:var(--color-neutral-solid-gray-600);font-size:var(--font-size-14);margin:.25rem 0 0}
.field-error{color:var(--color-semantic-error-2);font-weight:var(--font-weight-700);margin:.25rem 0 0}
button{font:inherit;font-weight:var(--font-weight-700);padding:.75rem 1.5rem;border:0;
border-radius:var(--border-radius-8);background:var(--color-primitive-blue-900);color:var(--color-neutral-white);
cursor:pointer}
button:hover{background:var(--color-primitive-blue-1000);text-decoration:underline}
a{color:var(--color-primitive-blue-1000)}
:focus-visible{outline:4px solid var(--color-neutral-black);outline-offset:2px;
box-shadow:0 0 0 2px var(--color-primitive-yellow-300)}
.error{border-left:6px solid var(--color-semantic-error-1);background:var(--color-primitive-red-50);padding:.75rem 1rem;
margin:1rem 0}
.success{border-left:6px solid var(--color-primitive-green-800);background:var(--color-primitive-green-50);
padding:.75rem 1rem;margin:1rem 0}
.error p,.success p{margin:0}
.who{color:var(--color-neutral-solid-gray-600)}
"""
# Colour pairs of the rules above (foreground, background, WCAG minimum contrast: 4.5 text, 3 for borders and
# controls against what surrounds them); tests/unit/test_approval_page_html.py computes each from the tokens.
CONTRAST: tuple[tuple[str, str, float], ...] = (
    ("--color-neutral-solid-gray-800", "--color-neutral-white", 4.5),  # body text
    ("--color-neutral-white", "--color-primitive-blue-900", 4.5),  # the banner, buttons
    ("--color-neutral-white", "--color-primitive-blue-1000", 4.5),  # a hovered button
    ("--color-neutral-solid-gray-800", "--color-neutral-solid-gray-50", 4.5),  # table headings
    ("--color-neutral-solid-gray-600", "--color-neutral-white", 4.5),  # hints
    ("--color-semantic-error-2", "--color-neutral-white", 4.5),  # a field's error
    ("--color-neutral-solid-gray-800", "--color-primitive-red-50", 4.5),  # an error box's text
    ("--color-neutral-solid-gray-800", "--color-primitive-green-50", 4.5),  # a success box's text
    ("--color-primitive-blue-1000", "--color-neutral-white", 4.5),  # links
    ("--color-neutral-solid-gray-600", "--color-neutral-white", 3.0),  # input borders
    ("--color-semantic-error-1", "--color-neutral-white", 3.0),  # an invalid input's border
    ("--color-primitive-blue-900", "--color-neutral-white", 3.0),  # radio buttons (accent colour)
    ("--color-neutral-black", "--color-neutral-white", 3.0),  # the focus outline
)


def _stylesheet() -> str:
    root = ";".join(f"{name}:{value}" for name, value in TOKENS.items())
    return ":root{" + root + "}" + _RULES.replace("\n", "")


STYLE = _stylesheet()
# The Content-Security-Policy's style-src: the one inline stylesheet, by its hash (no 'unsafe-inline').
STYLE_SOURCE = "'sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode() + "'"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _day(value: date) -> str:
    return f"{value:%Y年%-m月%-d日}"


def _time(value: datetime) -> str:
    return f"{value.astimezone(clock.TOKYO):%Y年%-m月%-d日 %H:%M}"


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="ja"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(title)} | {SITE_NAME}</title><style>{STYLE}</style></head>"
        f'<body><header class="site"><p>{SITE_NAME} プレミアム登録の承認</p></header>'
        f"<main><h1>{_e(title)}</h1>{body}</main></body></html>\n"
    )


def _hidden(**fields: str) -> str:
    return "".join(f'<input type="hidden" name="{_e(k)}" value="{_e(v)}">' for k, v in fields.items())


def _alert(identifier: str, message: str | None) -> str:
    return f'<div class="error" id="{identifier}" role="alert"><p>{_e(message)}</p></div>' if message else ""


def _described(*identifiers: str | None) -> str:
    present = " ".join(i for i in identifiers if i)
    return f' aria-describedby="{present}"' if present else ""


# --- sign-in -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInPage:
    base: str  # the page's path prefix, e.g. "/v1" (forms post to {base}/approval/...)
    link: str
    email: str = ""
    error: str | None = None


def sign_in_page(page: SignInPage) -> str:
    error = "sign-in-error" if page.error else None
    invalid = ' aria-invalid="true"' if error else ""
    body = (
        "<p>承認依頼のメールのリンクから開いています。申請の内容を見るには、この自治体の職員アカウントでサインインしてください。</p>"
        f"{_alert('sign-in-error', page.error)}"
        f'<form method="post" action="{_e(page.base)}/approval/sign-in">{_hidden(link=page.link)}'
        '<div class="field"><label for="email">メールアドレス</label>'
        f'<input id="email" name="email" type="email" autocomplete="username" required maxlength="254"'
        f' value="{_e(page.email)}"{invalid}{_described(error)}></div>'
        '<div class="field"><label for="password">パスワード</label>'
        f'<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"'
        f"{invalid}{_described(error)}></div>"
        '<button type="submit">サインイン</button></form>'
    )
    return _document("職員サインイン", body)


@dataclass(frozen=True)
class CodePage:
    base: str
    link: str
    email: str
    session: str  # Cognito's challenge session
    error: str | None = None


def code_page(page: CodePage) -> str:
    error = "code-error" if page.error else None
    invalid = ' aria-invalid="true"' if error else ""
    body = (
        f"{_alert('code-error', page.error)}"
        f'<form method="post" action="{_e(page.base)}/approval/sign-in">'
        f"{_hidden(link=page.link, email=page.email, session=page.session)}"
        '<div class="field"><label for="code">確認コード（6桁）</label>'
        '<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required'
        f' pattern="[0-9]{{6}}" maxlength="6"{invalid}{_described("code-hint", error)}>'
        '<p class="hint" id="code-hint">認証アプリ（Google Authenticator など）に表示されている6桁の数字です。</p></div>'
        '<button type="submit">確認</button></form>'
    )
    return _document("確認コードの入力", body)


# --- the application -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationPage:
    base: str
    link: str
    organisation_name: str
    staff_roles: frozenset[str]
    application: PremiumApplication
    applicant_name: str | None = None  # the name the person gave this organisation, if any
    csrf: str | None = None  # None: the staff member may not decide (a viewer): no form
    decision: Literal["approve", "reject"] | None = None  # what was chosen, shown again with an error
    reason: str = ""
    error_field: Literal["decision", "reason"] | None = None
    error: str | None = None


def application_page(page: ApplicationPage) -> str:
    a = page.application
    what = "プレミアム登録の更新" if a.renewal else "プレミアム登録"
    role = "編集者" if "editor" in page.staff_roles else "閲覧者"
    applicant = f"{_e(page.applicant_name)}（利用者ID {_e(a.user_id)}）" if page.applicant_name else f"利用者ID {_e(a.user_id)}"
    summary = (
        f'<p class="who">{_e(page.organisation_name)}の職員（{role}）としてサインインしています。</p>'
        '<section aria-labelledby="summary-heading"><h2 id="summary-heading">申請</h2><dl>'
        f"<dt>自治体</dt><dd>{_e(page.organisation_name)}</dd>"
        f"<dt>申請の種類</dt><dd>{'更新' if a.renewal else '新規'}</dd>"
        f"<dt>状態</dt><dd>{_e(STATUS_LABELS[a.status])}</dd>"
        f"<dt>申請日時</dt><dd>{_time(a.applied_at)}</dd>"
        f"<dt>申請者</dt><dd>{applicant}</dd></dl></section>"
    )
    body = summary + _judgement(a) + _occasions(a)
    if page.csrf is None:
        body += ('<section aria-labelledby="decision-heading"><h2 id="decision-heading">承認・不承認</h2>'
                 "<p>承認・不承認は編集者の職員が行います。閲覧者のアカウントでは内容の確認だけができます。</p></section>")
    else:
        body += _decision_form(page)
    return _document(f"{what}の承認", body)


def _judgement(a: PremiumApplication) -> str:
    j = a.judgement
    if j is None:
        return '<section aria-labelledby="judgement-heading"><h2 id="judgement-heading">自動審査の結果</h2><p>審査中です。</p></section>'
    reasons = "".join(f"<li>{_e(r.message)}</li>" for r in j.reasons)
    conditions = "".join(f"<li>{_e(c)}</li>" for c in j.extra_conditions)
    stay = f"{a.long_stay_days}日" if a.long_stay_days is not None else "—"
    return (
        '<section aria-labelledby="judgement-heading"><h2 id="judgement-heading">自動審査の結果</h2><dl>'
        f"<dt>活動回数</dt><dd>{j.occasions}回（必要な回数 {j.needed}回）</dd>"
        f"<dt>数えた期間</dt><dd>{_day(j.first_day)}から{_day(j.last_day)}まで</dd>"
        f"<dt>更新か</dt><dd>{'更新の申請（今の有効期間の活動だけを数えます）' if j.renewal else '新規の申請'}</dd>"
        f"<dt>滞在日数（12か月）</dt><dd>{stay}</dd>"
        f"<dt>長期滞在のしるし</dt><dd>{'承認されると付きます' if a.long_stay_marker else '付きません'}</dd></dl>"
        "<h3>満たしていない要件</h3>"
        + (f"<ul>{reasons}</ul>" if reasons else "<p>ありません。自動審査の要件はすべて満たしています。</p>")
        + "<h3>職員が確認する条件</h3>"
        + (f"<p>次の条件を満たしているか確認してから承認してください。</p><ul>{conditions}</ul>" if conditions
           else "<p>ありません。</p>")
        + "</section>"
    )


def _occasions(a: PremiumApplication) -> str:
    heading = '<section aria-labelledby="occasions-heading"><h2 id="occasions-heading">数えた活動</h2>'
    if not a.occasions:
        return heading + "<p>数えた活動はありません。</p></section>"
    rows = "".join(
        f"<tr><td>{_e(o.activity_name or '（名前のない活動）')}</td>"
        f"<td>{'、'.join(_day(d) for d in o.days)}</td><td>{o.counts}回</td></tr>"
        for o in a.occasions
    )
    return (
        heading + "<table><caption>申請者の参加記録のうち、審査で数えたもの</caption><thead><tr>"
        '<th scope="col">活動</th><th scope="col">参加日</th><th scope="col">数えた回数</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _decision_form(page: ApplicationPage) -> str:
    decision_error = "decision-error" if page.error_field == "decision" else None
    reason_error = "reason-error" if page.error_field == "reason" else None

    def choice(value: str, label: str) -> str:
        checked = " checked" if page.decision == value else ""
        invalid = ' aria-invalid="true"' if decision_error else ""
        return (f'<div class="choice"><input type="radio" id="decision-{value}" name="decision" value="{value}"'
                f" required{checked}{invalid}{_described(decision_error)}>"
                f'<label for="decision-{value}">{label}</label></div>')

    reason_invalid = ' aria-invalid="true"' if reason_error else ""
    field_error = (f'<p class="field-error" id="{decision_error or reason_error}">{_e(page.error)}</p>'
                   if page.error and page.error_field else "")
    return (
        '<section aria-labelledby="decision-heading"><h2 id="decision-heading">承認・不承認</h2>'
        + (_alert("form-error", page.error) if page.error and not page.error_field else "")
        + f'<form method="post" action="{_e(page.base)}/approval/decision">{_hidden(link=page.link, csrf=page.csrf or "")}'
        "<fieldset><legend>判断</legend>"
        + choice("approve", "承認する")
        + choice("reject", "承認しない（不承認）")
        + (field_error if decision_error else "")
        + "</fieldset>"
        '<div class="field"><label for="reason">不承認の理由</label>'
        f'<textarea id="reason" name="reason" rows="4" maxlength="{REJECTION_REASON_MAX}"'
        f"{reason_invalid}{_described('reason-hint', reason_error)}>{_e(page.reason)}</textarea>"
        f'<p class="hint" id="reason-hint">不承認にするときは必ず入力してください（{REJECTION_REASON_MAX}文字以内）。'
        "申請者にそのまま伝わります。</p>"
        + (field_error if reason_error else "")
        + '</div><button type="submit">決定する</button></form></section>'
    )


# --- the result, errors, the redirect after sign-in ------------------------------------------------------------------


@dataclass(frozen=True)
class ResultPage:
    organisation_name: str
    application: PremiumApplication


def result_page(page: ResultPage) -> str:
    a = page.application
    what = "プレミアム登録の更新" if a.renewal else "プレミアム登録"
    closing = "<p>申請者には結果をお知らせします。承認依頼のリンクはもう使えません。このページを閉じてください。</p>"
    if a.status == "approved":
        until = f"有効期限は{_day(a.premium_expires_on)}までです。" if a.premium_expires_on else ""
        marker = "長期滞在のしるしが付きました。" if a.long_stay_marker else ""
        return _document("承認しました", f'<div class="success" role="status"><p>{_e(page.organisation_name)}の{what}を承認しました。'
                         f"{until}{marker}</p></div>{closing}")
    if a.status == "rejected":
        reason = a.decision.reason if a.decision and a.decision.reason else ""
        return _document("不承認にしました", f'<div class="success" role="status"><p>{_e(page.organisation_name)}の{what}を'
                         f"不承認にしました。</p></div><h2>申請者に伝える理由</h2><p>{_e(reason)}</p>{closing}")
    reasons = "".join(f"<li>{_e(r.message)}</li>" for r in a.reasons)
    return _document(
        "承認できませんでした",
        f'<div class="error" role="alert"><p>審査の間に、この申請は要件を満たさなくなりました'
        f"（{_e(STATUS_LABELS[a.status])}）。</p></div><h2>理由</h2><ul>{reasons}</ul>{closing}",
    )


def error_page(title: str, message: str) -> str:
    return _document(title, f"<p>{_e(message)}</p>")


def redirect_page(location: str) -> str:
    return _document("サインインしました", f'<p><a href="{_e(location)}">申請を開く</a></p>')
