"""Domain models (pydantic v2). API bodies and responses are these models, so the OpenAPI document is generated
from the same definitions the rules use."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, field_validator

from .. import clock
from .paging import Paged
from .survey import Answer, OwnQuestions, Question

LgCode = Annotated[str, Field(pattern=r"^\d{6}$", description="全国地方公共団体コード (6 digits with check digit)")]
# ASCII digits: `\d` would also match other scripts' digits, which the postal-code table never holds.
POSTAL_CODE_PATTERN = r"^[0-9]{3}-?[0-9]{4}$"
PostalCode = Annotated[str, Field(pattern=POSTAL_CODE_PATTERN, description="郵便番号, e.g. 988-0000")]



class RequestModel(BaseModel):
    """What a client sends in a request body. Strict where a person's choice is at stake: a boolean is a JSON boolean
    ("no" is not false), a number a JSON number, a list a JSON list; and a member the model does not know is refused,
    never ignored (a misspelt `co_register_prefecture` must not silently mean the default). A test holds every body
    model of the resolvers, and every model nested in one, to this (docs/decisions.md, strict request types)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _iso_text(value: object) -> object:
    if isinstance(value, (str, date)):  # date: the same value built in code (a datetime is a date too)
        return value
    raise ValueError("expects an ISO 8601 string")


# JSON has no date type: a date travels as an ISO 8601 string, which strict mode would refuse. These parse that
# string, and refuse what lax mode would also take (a number as a Unix time, 20261205).
JsonDate = Annotated[date, Strict(False), BeforeValidator(_iso_text)]
JsonDateTime = Annotated[datetime, Strict(False), BeforeValidator(_iso_text)]

Gender = Literal["female", "male", "other", "no_answer"]
Level = Literal["basic", "premium"]


class PersonalInfo(RequestModel):
    """Basic 4 info and e-mail: each optional (R-BAS-3). Stored only in the organisation's area (R-PRIV-1)."""

    model_config = ConfigDict(str_strip_whitespace=True)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    postal_code: PostalCode | None = None
    address: str | None = Field(default=None, min_length=1, max_length=200)
    birth_date: JsonDate | None = None
    gender: Gender | None = None
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

    @field_validator("birth_date")
    @classmethod
    def _plausible_birth_date(cls, value: date | None) -> date | None:
        if value is not None and not (date(1900, 1, 1) <= value <= clock.today()):
            raise ValueError("birth_date must be between 1900-01-01 and today")
        return value


class RegisterRequest(RequestModel):
    organisation_code: LgCode
    co_register_prefecture: bool = Field(
        default=True, description="Also register with the municipality's prefecture (R-ORG-2); false opts out."
    )
    answers: dict[str, Answer] = Field(default_factory=dict, description="Survey answers by question id (R-BAS-2)")
    personal: PersonalInfo | None = None


class OrganisationRef(BaseModel):
    code: LgCode
    name: str
    kind: Literal["prefecture", "municipality"]
    prefecture_code: LgCode
    prefecture_name: str


class Intro(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(default="", max_length=4000)
    image_url: str | None = Field(default=None, max_length=500)
    website_url: str | None = Field(default=None, max_length=500)


class CardDesign(BaseModel):
    """Per-organisation background of the registration card (R-CARD-1)."""

    model_config = ConfigDict(extra="forbid")
    background_color: str = Field(default="#1F6F8B", pattern=r"^#[0-9A-Fa-f]{6}$")
    text_color: str = Field(default="#FFFFFF", pattern=r"^#[0-9A-Fa-f]{6}$")
    background_image_url: str | None = Field(default=None, max_length=500)


class OrganisationProfile(BaseModel):
    """What a joined organisation publishes (R-ORG-1, R-ADM-2). Existence of a profile = the organisation joined."""

    code: LgCode
    joined_at: datetime
    intro: Intro
    card_design: CardDesign = Field(default_factory=CardDesign)
    own_questions: tuple[Question, ...] = ()

    @field_validator("own_questions")
    @classmethod
    def _limited_and_namespaced(cls, value: tuple[Question, ...]) -> tuple[Question, ...]:
        return OwnQuestions(questions=value).questions


class OrganisationSummary(OrganisationRef):
    joined: bool


class SurveyDefinition(BaseModel):
    version: str
    questions: tuple[Question, ...]


class OrganisationDetail(OrganisationSummary):
    intro: Intro
    card_design: CardDesign
    survey: SurveyDefinition


class Registration(BaseModel):
    """A person's registration with one organisation (org area). A prefecture registration may be direct, or a
    co-registration through one or more of its municipalities (`via`), or both."""

    organisation_code: LgCode
    user_id: str
    level: Level = "basic"
    since: datetime
    direct: bool
    via: frozenset[str] = frozenset()
    resident: bool = False
    survey_version: str | None = None
    answers: dict[str, Answer] = Field(default_factory=dict)
    personal: PersonalInfo | None = None
    # How `resident` was judged: `verified_address` once from the My Number Card's address (shared.dal.verification);
    # otherwise from what the person typed. Premium needs the former (shared.domain.premium.judge).
    resident_basis: str | None = None
    # Premium (R-PRE-6): valid through this day, derived when read (shared.domain.premium.is_premium), never flipped.
    premium_expires_on: date | None = None
    long_stay_marker: bool = False  # R-PRE-7, awarded with the last approval
    premium_open: str | None = None  # the open premium application's id (one at a time per organisation)


CoRegistrationStatus = Literal[
    "registered",  # newly co-registered with the prefecture
    "linked",  # already registered with the prefecture: this municipality was added to it
    "opted_out",  # the user asked not to (R-ORG-2)
    "prefecture_not_joined",  # the prefecture has not joined: skipped (R-ORG-1)
    "not_applicable",  # the target is itself a prefecture
]


class CoRegistration(BaseModel):
    prefecture: OrganisationRef | None
    status: CoRegistrationStatus
    message: str


class RegistrationView(BaseModel):
    """A registration as its owner sees it (no personal data echoed)."""

    organisation: OrganisationRef
    level: Level
    since: datetime
    direct: bool
    via: list[OrganisationRef] = Field(default_factory=list, description="Municipalities this prefecture registration came through")
    resident: bool = Field(description="Registered where the person lives: not counted as 関係人口 (R-BAS-6)")


class RegisterResponse(BaseModel):
    registration: RegistrationView
    co_registration: CoRegistration


class MyRegistrations(Paged):
    registrations: list[RegistrationView]


class Card(BaseModel):
    """Registration card (登録証, R-CARD-1)."""

    organisation: OrganisationRef
    level: Level
    level_label: str
    verified: bool = Field(description="My Number Card identity verification done (R-BAS-4; a minor's with a guardian's consent, R-PRE-3)")
    verified_label: str | None = Field(default=None, description="本人確認済み, when verified")
    verified_on: date | None = Field(default=None, description="The day of the verification, when verified")
    premium_expires_on: date | None = Field(
        default=None, description="Premium through this day (R-PRE-6), while premium; null for a basic registration"
    )
    long_stay: bool = Field(default=False, description="二地域居住 long-stay marker, premium only (R-PRE-7)")
    since: date
    design: CardDesign


class WithdrawResponse(BaseModel):
    withdrawn: list[OrganisationRef]
    kept_prefecture: OrganisationRef | None = None
    message: str
