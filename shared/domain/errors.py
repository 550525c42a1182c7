"""Domain errors. The logic layer raises only these; the API layer maps each type (never a message) to an
RFC 9457 problem with a Japanese title the app can show as is, and an English `detail` for developers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # only for annotations: checkin_token imports its errors from here
    from .checkin_token import CheckinClaims


class DomainError(Exception):
    status: ClassVar[int] = 400
    type_slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "リクエストに誤りがあります"
    retry_after_seconds: ClassVar[int | None] = None  # sent as Retry-After when set

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class InvalidInput(DomainError):
    status = 422
    type_slug = "invalid-input"
    title = "入力内容に誤りがあります"


class UnknownOrganisation(DomainError):
    status = 404
    type_slug = "unknown-organisation"
    title = "指定された自治体が見つかりません"


class UnknownPostalCode(DomainError):
    status = 404
    type_slug = "unknown-postal-code"
    title = "郵便番号が見つかりません"


class OrganisationNotJoined(DomainError):
    """Registering with an organisation that has not joined (R-ORG-1)."""

    status = 422
    type_slug = "organisation-not-joined"
    title = "この自治体はふるさと住民登録制度に参加していません"


class OrganisationNotPublished(OrganisationNotJoined):
    """Browsing the page of an organisation that has not joined: it has no page."""

    status = 404


class InvalidSurveyAnswer(DomainError):
    status = 422
    type_slug = "invalid-survey-answer"
    title = "アンケートの回答に誤りがあります"


class AlreadyRegistered(DomainError):
    status = 409
    type_slug = "already-registered"
    title = "この自治体にはすでに登録しています"


class RegistrationNotFound(DomainError):
    status = 404
    type_slug = "registration-not-found"
    title = "この自治体への登録はありません"


class ConcurrentUpdate(DomainError):
    """Another request changed the same registrations at the same moment, and retries did not settle it."""

    status = 409
    type_slug = "concurrent-update"
    title = "同時に別の操作が行われました。もう一度お試しください"


class IdempotencyKeyReused(DomainError):
    status = 422
    type_slug = "idempotency-key-reused"
    title = "同じ Idempotency-Key が別の内容のリクエストに使われています"


class Forbidden(DomainError):
    """Signed in, but the role or organisation does not allow it."""

    status = 403
    type_slug = "forbidden"
    title = "この操作を行う権限がありません"


class ActivityNotFound(DomainError):
    status = 404
    type_slug = "activity-not-found"
    title = "指定された活動が見つかりません"


class ActivityCancelled(DomainError):
    status = 409
    type_slug = "activity-cancelled"
    title = "この活動は中止されました"


class NotRegisteredWithOrganisation(DomainError):
    """Check-in to an activity of an organisation the person has not registered with (decision: refuse, with the
    way forward; registering needs the survey of R-BAS-2, so it cannot happen implicitly)."""

    status = 409
    type_slug = "not-registered"
    title = "この活動の自治体に登録していません。先にふるさと住民登録をしてください"


class ActivityNotRunning(DomainError):
    status = 409
    type_slug = "activity-not-running"
    title = "活動時間外のため、この操作はできません"


class CheckinCodeSuperseded(DomainError):
    """A genuine check-in code issued before the activity was rescheduled or moved (R-ACT-2): the code at the venue
    is the new one."""

    status = 409
    type_slug = "checkin-code-superseded"
    title = "活動の日時または場所が変更されたため、このQRコードは使えません。会場の新しいQRコードを読み取ってください"


class ApplicationsClosed(DomainError):
    status = 409
    type_slug = "applications-closed"
    title = "この活動は現在参加者を募集していません"


class ApplyExternally(DomainError):
    status = 409
    type_slug = "apply-externally"
    title = "この活動は外部のページから申し込んでください"


class AlreadyApplied(DomainError):
    status = 409
    type_slug = "already-applied"
    title = "この活動にはすでに申し込んでいます"


class CapacityReached(DomainError):
    status = 409
    type_slug = "capacity-reached"
    title = "定員に達したため申し込めません"


class ApplicationNotFound(DomainError):
    status = 404
    type_slug = "application-not-found"
    title = "申し込みが見つかりません"


class EvidenceNotFound(DomainError):
    status = 404
    type_slug = "evidence-not-found"
    title = "証明書類が見つかりません"


class EvidenceNotUploaded(DomainError):
    status = 409
    type_slug = "evidence-not-uploaded"
    title = "ファイルがアップロードされていません"


class EvidenceUploadMismatch(DomainError):
    """The uploaded file's size, type or first bytes are not what was declared (the app can upload again while the
    form is valid, then submit)."""

    status = 409
    type_slug = "evidence-upload-mismatch"
    title = "アップロードされたファイルが申告された形式・サイズと一致しません"


class EvidenceUploadExpired(DomainError):
    status = 409
    type_slug = "evidence-upload-expired"
    title = "提出の期限が過ぎました。もう一度最初からアップロードしてください"


class TooManyOpenUploads(DomainError):
    """A person holds at most a few uploads started and not submitted (each reserves space in the bucket)."""

    status = 409
    type_slug = "too-many-open-uploads"
    title = "提出していないアップロードが多すぎます。提出するか、時間をおいてやり直してください"


class EvidenceAlreadyDecided(DomainError):
    status = 409
    type_slug = "evidence-already-decided"
    title = "この証明書類はすでに審査済みです"


class UnsupportedMediaType(DomainError):
    """A body in a format the route does not read (a JSON route sent text/plain, XML, a form …). `accepted` names
    the content types it does read."""

    status = 415
    type_slug = "unsupported-media-type"
    title = "この形式のデータは受け付けていません"


class RequestTooLarge(DomainError):
    """A body over the route's cap (docs/decisions.md, "Body caps"). `limit_bytes` says the cap."""

    status = 413
    type_slug = "request-too-large"
    title = "リクエストが大きすぎます"


class ServiceUnavailable(DomainError):
    """AWS throttled or failed a call, or it got no answer (botocore had retried it already). Nothing is known to be
    wrong with the request: the client sends the same request again (with the same Idempotency-Key) after
    Retry-After; docs/decisions.md says per operation why that is safe. Raised by the data layer (shared/dal/aws.py)
    from error codes, so a throttled call is never reported as a conflict or as "not found"."""

    status = 503
    type_slug = "service-unavailable"
    title = "ただいま混み合っています。しばらくしてからもう一度お試しください"
    retry_after_seconds = 2


class Unauthenticated(DomainError):
    status = 401
    type_slug = "unauthenticated"
    title = "ログインが必要です"


# --- check-in codes (shared/domain/checkin_token.py) ----------------------------------------------------------


class InvalidCheckinToken(DomainError):
    """Malformed, unknown key, bad signature or altered payload: deliberately one error with one detail, so a
    forger learns nothing about which check failed. `reason` is for server-side logs only (not in the response)."""

    status = 422
    type_slug = "invalid-checkin-code"
    title = "このQRコードは使えません。活動の会場に掲示されたQRコードを読み取ってください"

    def __init__(self, reason: str = "") -> None:
        super().__init__("the scanned text is not a valid check-in token")
        self.reason = reason


class CheckinTokenExpired(DomainError):
    status = 422
    type_slug = "checkin-code-expired"
    title = "このQRコードの有効期限が切れています"

    def __init__(self, claims: CheckinClaims) -> None:
        hint = "scan the code on the staff screen again" if claims.kind == "rotating" else "the activity is over"
        super().__init__(f"the check-in token expired; {hint}", expired_at=claims.expires.isoformat(), kind=claims.kind)


class CheckinTokenNotYetValid(DomainError):
    status = 422
    type_slug = "checkin-code-not-yet-valid"
    title = "まだ受付時間前です。活動の開始時刻が近づいてから読み取ってください"

    def __init__(self, claims: CheckinClaims) -> None:
        super().__init__("the check-in token is not valid yet", valid_from=claims.not_before.isoformat())


class UnknownSigningKey(InvalidCheckinToken):
    """A well-formed token signed with a key id not in the key set: the same response as any invalid token, but a
    caller holding keys cached from the secret store can refetch them once and verify again (a rotation that has not
    reached this container yet), before giving up."""


# --- pre-launch import (shared/domain/prelaunch.py; file-level: raised before any row is looked at) -----------


class InvalidActivityVenue(DomainError):
    """R-ACT-4: a municipality uploads its own activities; a prefecture names one of its municipalities."""

    status = 422
    type_slug = "invalid-activity-venue"
    title = "活動が行われた市区町村の指定に誤りがあります"


class InvalidPrelaunchFile(DomainError):
    """The upload is not a readable template: not .xlsx/CSV, no column-names row, required columns missing, too
    many rows. `reason` (extension) says what in Japanese, for staff."""

    status = 422
    type_slug = "invalid-prelaunch-file"
    title = "取り込みファイルの形式に誤りがあります"


class InvalidPageToken(DomainError):
    """A `next` token that is not one this list handed out (tampered, truncated, or from another list)."""

    status = 400
    type_slug = "invalid-page-token"
    title = "ページの指定が正しくありません。最初のページから読み直してください"


class AccountDeleted(DomainError):
    """The ID token is still valid (an hour at most) but its account was deleted or is being deleted (DELETE /me):
    nothing more is written for it."""

    status = 401
    type_slug = "account-deleted"
    title = "このアカウントは削除されています"


class DeletionNotConfirmed(DomainError):
    """DELETE /me without the explicit confirmation header: nothing is erased."""

    status = 428
    type_slug = "deletion-not-confirmed"
    title = "アカウント削除の確認が必要です"


# --- identity verification (R-BAS-4, R-PRE-3) ------------------------------------------------------------------------


class VerificationFailed(DomainError):
    """The provider's answer could not be trusted or used (a refused code, a bad signature, a wrong nonce, an expired
    token, missing claims). Nothing is stored; the person starts again. `reason` names the check, never a value."""

    status = 400
    type_slug = "verification-failed"
    title = "本人確認ができませんでした。もう一度お試しください"


class VerificationRequestNotFound(DomainError):
    """The state names no verification this account started, or it expired, or it was completed already."""

    status = 400
    type_slug = "verification-expired"
    title = "本人確認の手続きが見つからないか、有効期限が切れています。最初からやり直してください"


class IdentityInUse(DomainError):
    """One person, one account (R-BAS-4): the card's holder verified another account already."""

    status = 409
    type_slug = "identity-in-use"
    title = "このマイナンバーカードは、すでに別のアカウントの本人確認に使われています"


class VerifiedAsAnotherPerson(DomainError):
    status = 409
    type_slug = "verified-as-another-person"
    title = "このアカウントは、別のマイナンバーカードで本人確認済みです"


class GuardianNotNeeded(DomainError):
    status = 409
    type_slug = "guardian-not-needed"
    title = "保護者の同意を待っている本人確認はありません"


class GuardianNotAccepted(DomainError):
    """R-PRE-3: the guardian must be another person, and an adult."""

    status = 422
    type_slug = "guardian-not-accepted"
    title = "保護者の方ご本人（18歳以上）のマイナンバーカードで確認してください"


class ConsentRequired(DomainError):
    status = 422
    type_slug = "consent-required"
    title = "同意が必要です"


class PrelaunchMatchNotFound(DomainError):
    status = 404
    type_slug = "prelaunch-match-not-found"
    title = "確認待ちの活動記録が見つかりません"


# --- premium registration (R-PRE-1..7) --------------------------------------------------------------------------------


class PremiumApplicationNotFound(DomainError):
    status = 404
    type_slug = "premium-application-not-found"
    title = "プレミアム登録の申請が見つかりません"


class RenewalNotOpen(DomainError):
    """R-PRE-6: a premium registrant applies again only within the renewal period before the expiry."""

    status = 409
    type_slug = "renewal-not-open"
    title = "プレミアム登録の更新申請は、有効期限の前の更新期間に受け付けます"


class PremiumApplicationDecided(DomainError):
    """A decision on an application that no longer waits for one (decided, unanswered, failed)."""

    status = 409
    type_slug = "premium-application-decided"
    title = "この申請はすでに処理されています"


class RejectionReasonRequired(DomainError):
    status = 422
    type_slug = "rejection-reason-required"
    title = "不承認の理由を入力してください"


class InvalidApprovalLink(DomainError):
    """The e-mailed approval link is forged, altered, expired, superseded or used: it shows nothing."""

    status = 403
    type_slug = "invalid-approval-link"
    title = "この承認リンクは無効か、有効期限が切れています"


class TooManyExports(DomainError):
    """The staff registrant export: an organisation has MAX_ACTIVE_EXPORTS queued or running already."""

    status = 429
    type_slug = "too-many-exports"
    title = "作成中の出力が多すぎます。完了してからやり直してください"
    retry_after_seconds = 60


class ExportNotFound(DomainError):
    status = 404
    type_slug = "export-not-found"
    title = "指定された出力が見つかりません"
