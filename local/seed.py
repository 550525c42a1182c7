"""Organisations joined by default in the local runtime and the tests: examples from the spec (気仙沼市 and 宮城県
from MIC's slides, 飛騨市 and 岐阜県, 島根県 and a municipality of it, 海士町), plus 南三陸町 so that two
municipalities of one prefecture have joined, and 長野県 alone (no municipality of it joined). Their intros are illustrative, not official text."""

from __future__ import annotations

from datetime import datetime

from shared.clock import TOKYO
from shared.dal.repository import Repository
from shared.domain.models import CardDesign, Intro, OrganisationProfile
from shared.domain.survey import Choice, Question

JOINED_AT = datetime(2026, 4, 1, 9, 0, tzinfo=TOKYO)


def _profile(code: str, title: str, body: str, color: str, own: tuple[Question, ...] = ()) -> OrganisationProfile:
    return OrganisationProfile(
        code=code,
        joined_at=JOINED_AT,
        intro=Intro(title=title, body=body),
        card_design=CardDesign(background_color=color),
        own_questions=own,
    )


KESENNUMA_OWN = (
    Question(
        id="own_fan_club",
        text="気仙沼ファンクラブに入会していますか",
        kind="single",
        required=True,
        choices=(Choice(id="member", label="入会している"), Choice(id="not_member", label="入会していない")),
    ),
    Question(id="own_message", text="気仙沼へのメッセージ（任意）", kind="text"),
)

DEFAULT_PROFILES: tuple[OrganisationProfile, ...] = (
    _profile("040002", "宮城県", "宮城県のふるさと住民登録へようこそ。", "#006934"),
    _profile("042056", "気仙沼市", "海と生きるまち、気仙沼。ファンクラブの皆さんもぜひご登録ください。", "#0B4F8A", KESENNUMA_OWN),
    _profile("046060", "南三陸町", "森 里 海 ひと いのちめぐるまち 南三陸。", "#1B7F5A"),
    _profile("210005", "岐阜県", "清流の国ぎふ。", "#00735C"),
    _profile("212172", "飛騨市", "飛騨市ファンクラブから、ふるさと住民登録へ。", "#8A3B12"),
    _profile("320005", "島根県", "しまっち！でつながる島根。", "#5B2C83"),
    _profile("325252", "海士町", "ないものはない、隠岐・海士町。", "#127A8A"),
    # A prefecture with none of its municipalities joined: the limit of three's examples need one (R-PRE-4).
    _profile("200000", "長野県", "信州で暮らす、信州とつながる。", "#1F5FA8"),
    # A third municipality of 宮城県: one person in three municipalities of a prefecture counts once (R-STAT-1).
    # Last: the bench draws each organisation's activities in this order (bench/dataset.py), the others' unchanged.
    _profile("042021", "石巻市", "世界で一番住みたいまち、石巻。", "#2A5CAA"),
)


def seed(repository: Repository, profiles: tuple[OrganisationProfile, ...] = DEFAULT_PROFILES) -> None:
    for profile in profiles:
        repository.put_organisation_profile(profile)
