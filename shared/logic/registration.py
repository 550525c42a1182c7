"""Use cases of the register function: browse organisations, register, list, card (withdrawal: logic/account.py).
Takes its repository as an argument (tests pass one on moto); raises domain errors only."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pydantic import BaseModel

from .. import clock
from ..dal.idempotency import IdempotencyRecord
from ..dal.repository import Repository, account_verification
from ..domain import registration as rules
from ..domain.errors import (
    ConcurrentUpdate,
    IdempotencyKeyReused,
    InvalidInput,
    OrganisationNotJoined,
    OrganisationNotPublished,
    RegistrationNotFound,
    UnknownPostalCode,
)
from ..domain.models import (
    Card,
    CardDesign,
    CoRegistration,
    MyRegistrations,
    OrganisationDetail,
    OrganisationProfile,
    OrganisationRef,
    OrganisationSummary,
    RegisterRequest,
    RegisterResponse,
    Registration,
    RegistrationView,
    SurveyDefinition,
)
from ..domain.premium import is_premium
from ..domain.survey import COMMON_SURVEY_VERSION, survey_for, validate_answers
from ..organisations import catalog
from .organisations import known_organisation, organisation_ref

ATTEMPTS_ON_CONCURRENT_UPDATE = 3
LEVEL_LABELS = {"basic": "ベーシック登録", "premium": "プレミアム登録"}
VERIFIED_LABEL = "本人確認済み"


class RegisterCommand(BaseModel):
    user_id: str
    idempotency_key: str | None = None
    request: RegisterRequest


@dataclass
class _JoinedCache:
    codes: frozenset[str] = frozenset()
    loaded_at: float = float("-inf")


@dataclass(frozen=True)
class _CachedProfile:
    profile: OrganisationProfile | None
    loaded_at: float


class RegistrationService:
    def __init__(self, repository: Repository, idempotency_ttl_seconds: int, cache_seconds: int) -> None:
        self._repo = repository
        self._idempotency_ttl_seconds = idempotency_ttl_seconds
        self._cache_seconds = cache_seconds
        self._joined = _JoinedCache()
        self._profiles: dict[str, _CachedProfile] = {}  # bounded by the ~1,800 organisations

    # --- browsing (no sign-in) -----------------------------------------------------------------------------------

    def joined_codes(self) -> frozenset[str]:
        """Joined organisations, cached per container for a short while: browsing is the busiest read."""
        if time.monotonic() - self._joined.loaded_at > self._cache_seconds:
            self._joined = _JoinedCache(frozenset(self._repo.joined_organisation_codes()), time.monotonic())
        return self._joined.codes

    def list_organisations(
        self, query: str | None, prefecture_code: str | None, include_not_joined: bool, limit: int
    ) -> list[OrganisationSummary]:
        if prefecture_code is not None:
            pref = known_organisation(prefecture_code)
            if not pref.is_prefecture:
                raise InvalidInput(f"{prefecture_code} is not a prefecture", parameter="prefecture")
        joined = self.joined_codes()
        candidates = catalog.search(query, limit=10_000) if query else catalog.all_organisations()
        result = []
        for org in candidates:
            if prefecture_code and org.prefecture_code != prefecture_code:
                continue
            if not include_not_joined and org.code not in joined:
                continue
            result.append(OrganisationSummary(**organisation_ref(org).model_dump(), joined=org.code in joined))
            if len(result) >= limit:
                break
        return result

    def _published_profile(self, code: str) -> OrganisationProfile | None:
        """An organisation's public page, cached per container like the joined list: the busiest read that needs
        the table. Registering reads profiles fresh (consistently) instead."""
        cached = self._profiles.get(code)
        if cached is None or time.monotonic() - cached.loaded_at > self._cache_seconds:
            cached = _CachedProfile(self._repo.get_organisation_profiles([code]).get(code), time.monotonic())
            self._profiles[code] = cached
        return cached.profile

    def organisation_detail(self, code: str) -> OrganisationDetail:
        org = known_organisation(code)
        profile = self._published_profile(code)
        if profile is None:
            raise OrganisationNotPublished(f"{org.name} ({code}) has not joined", organisation_code=code)
        return OrganisationDetail(
            **organisation_ref(org).model_dump(),
            joined=True,
            intro=profile.intro,
            card_design=profile.card_design,
            survey=SurveyDefinition(version=COMMON_SURVEY_VERSION, questions=survey_for(profile.own_questions)),
        )

    def municipalities_for_postal_code(self, postal_code: str) -> list[OrganisationRef]:
        try:
            municipalities = catalog.municipalities_for_postal_code(postal_code)
        except ValueError as error:
            raise InvalidInput(f"'{postal_code}' is not a postal code (7 digits)", parameter="postal_code") from error
        if not municipalities:
            raise UnknownPostalCode(f"no municipality has the postal code {postal_code}", postal_code=postal_code)
        return [organisation_ref(m) for m in municipalities]

    # --- registering ---------------------------------------------------------------------------------------------

    def register(self, command: RegisterCommand) -> RegisterResponse:
        """A retried request with the same Idempotency-Key returns the first result and writes nothing again: the
        key's record is written in the registration's own transaction (shared/dal/idempotency.py), so it exists
        exactly when the registration was made, whatever failed or went unanswered around it. Without a key, the
        table's condition still refuses a duplicate (409 already-registered)."""
        idempotency = None
        if command.idempotency_key is not None:
            idempotency = IdempotencyRecord.for_request(
                command.user_id, command.idempotency_key, command.request.model_dump(mode="json"), clock.now(),
                self._idempotency_ttl_seconds,
            )
        for attempt in range(ATTEMPTS_ON_CONCURRENT_UPDATE):
            try:
                return self._register_attempt(command, idempotency)
            except ConcurrentUpdate:
                if attempt == ATTEMPTS_ON_CONCURRENT_UPDATE - 1:
                    raise
        raise AssertionError("unreachable")

    def _register_attempt(self, command: RegisterCommand, idempotency: IdempotencyRecord | None) -> RegisterResponse:
        request, user_id = command.request, command.user_id
        target = known_organisation(request.organisation_code)
        prefecture = target if target.is_prefecture else catalog.get(target.prefecture_code)
        assert prefecture is not None  # the catalogue guarantees every municipality's prefecture
        profiles, registrations = self._repo.registration_context(
            user_id, {target.code, prefecture.code}, {prefecture.code}
        )
        profile = profiles.get(target.code)
        if profile is None:
            raise OrganisationNotJoined(
                f"{target.name} ({target.code}) has not joined the Furusato Resident Registration", organisation_code=target.code
            )
        answers = validate_answers(survey_for(profile.own_questions), request.answers)
        residence = ()
        if request.personal and request.personal.postal_code:
            residence = catalog.municipalities_for_postal_code(request.personal.postal_code)
        existing_prefecture = registrations.get(prefecture.code)
        plan = rules.plan_co_registration(
            target,
            prefecture,
            prefecture_joined=prefecture.code in profiles,
            opted_out=not request.co_register_prefecture,
            prefecture_registration=existing_prefecture,
        )
        now = clock.now()
        registration = Registration(
            organisation_code=target.code,
            user_id=user_id,
            since=now,
            direct=True,
            resident=rules.is_resident(target, residence),
            survey_version=COMMON_SURVEY_VERSION,
            answers=answers,
            personal=request.personal,
        )
        link = None
        if plan.writes_prefecture:
            link = Registration(
                organisation_code=prefecture.code,
                user_id=user_id,
                since=now,
                direct=False,
                via=frozenset({target.code}),
                resident=rules.is_resident(prefecture, residence),
            )
        response = RegisterResponse(
            registration=self._view(registration),
            co_registration=CoRegistration(
                prefecture=organisation_ref(prefecture) if plan.prefecture else None,
                status=plan.status,
                message=rules.co_registration_message(plan),
            ),
        )
        remembered = idempotency.answered(response.model_dump_json()) if idempotency else None
        earlier = self._repo.create_registration(registration, link, remembered)
        if earlier is None:
            return response
        # The key was used before (only a request with a key gets a record back): replay, or refuse another body.
        if earlier.request_hash != remembered.request_hash:
            raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body")
        return RegisterResponse.model_validate_json(earlier.response)

    # --- my registrations ----------------------------------------------------------------------------------------

    def _view(self, registration: Registration) -> RegistrationView:
        return RegistrationView(
            organisation=organisation_ref(known_organisation(registration.organisation_code)),
            level=registration.level,
            since=registration.since,
            direct=registration.direct,
            via=[organisation_ref(known_organisation(c)) for c in sorted(registration.via)],
            resident=registration.resident,
        )

    def my_registrations(self, user_id: str, limit: int, token: str | None = None) -> MyRegistrations:
        """A page of the person's registrations; premium ones (R-PRE-6: derived from the expiry date now) show as
        such: one BatchGetItem of the page's expiries (the person index does not project them)."""
        page = self._repo.registrations_of_user(user_id, limit, token)
        expiries = self._repo.premium_expiries(user_id, [r.organisation_code for r in page.items]) if page.items else {}
        today = clock.today()
        views = []
        for registration in page.items:
            view = self._view(registration)
            if is_premium(expiries.get(registration.organisation_code), today):
                view = view.model_copy(update={"level": "premium"})
            views.append(view)
        return MyRegistrations(registrations=views, next=page.next)

    def card(self, user_id: str, code: str) -> Card:
        org = known_organisation(code)
        profiles, registrations = self._repo.registration_context(user_id, [code], [code])
        registration, profile = registrations.get(code), profiles.get(code)
        if registration is None:
            raise RegistrationNotFound(f"not registered with {org.name} ({code})", organisation_code=code)
        # R-CARD-1, R-BAS-4: verified once the account's verification is complete (a minor's only with a guardian's
        # consent, R-PRE-3). The long-stay marker (R-PRE-7) comes with premium registration.
        # A second read, not part of the batch: IAM authorizes a batch only when every key is in one area.
        verification = account_verification(self._repo.get_account(user_id))
        verified = verification.status == "verified"
        # R-PRE-6: premium is read from the expiry date, today; nothing flips when it passes.
        premium = is_premium(registration.premium_expires_on, clock.today())
        level = "premium" if premium else "basic"
        return Card(
            organisation=organisation_ref(org),
            level=level,
            level_label=LEVEL_LABELS[level],
            verified=verified,
            verified_label=VERIFIED_LABEL if verified else None,
            verified_on=verification.verified_on if verified else None,
            premium_expires_on=registration.premium_expires_on if premium else None,
            long_stay=premium and registration.long_stay_marker,
            since=registration.since.date(),
            design=profile.card_design if profile else CardDesign(),
        )
