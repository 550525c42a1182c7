"""Pure rules of basic registration: who gets registered, who is a resident, what a withdrawal removes.
No I/O here: the logic layer reads what these functions need and writes what they decide."""

from __future__ import annotations

from dataclasses import dataclass

from ..organisations.catalog import Organisation
from .models import CoRegistrationStatus, Registration


@dataclass(frozen=True)
class CoRegistrationPlan:
    prefecture: Organisation | None
    status: CoRegistrationStatus

    @property
    def writes_prefecture(self) -> bool:
        return self.status in ("registered", "linked")


def plan_co_registration(
    target: Organisation,
    prefecture: Organisation | None,
    prefecture_joined: bool,
    opted_out: bool,
    prefecture_registration: Registration | None,
) -> CoRegistrationPlan:
    """R-ORG-2: registering with a municipality also registers with its prefecture unless the user opts out;
    R-ORG-1: only a prefecture that joined accepts it, otherwise it is skipped (and the response says so)."""
    if target.is_prefecture:
        return CoRegistrationPlan(None, "not_applicable")
    if opted_out:
        return CoRegistrationPlan(prefecture, "opted_out")
    if not prefecture_joined:
        return CoRegistrationPlan(prefecture, "prefecture_not_joined")
    return CoRegistrationPlan(prefecture, "linked" if prefecture_registration else "registered")


CO_REGISTRATION_MESSAGES: dict[CoRegistrationStatus, str] = {
    "registered": "{pref}にも同時登録しました",
    "linked": "{pref}にはすでに登録済みのため、{pref}の登録にこの市区町村を関連付けました",
    "opted_out": "ご希望により{pref}への同時登録は行っていません",
    "prefecture_not_joined": "{pref}は制度に参加していないため、同時登録は行われませんでした",
    "not_applicable": "都道府県への登録です",
}


def co_registration_message(plan: CoRegistrationPlan) -> str:
    name = plan.prefecture.name if plan.prefecture else ""
    return CO_REGISTRATION_MESSAGES[plan.status].format(pref=name)


def is_resident(organisation: Organisation, residence: tuple[Organisation, ...]) -> bool:
    """R-BAS-6: a resident may register but is flagged, and left out of 関係人口 statistics. `residence` is the
    municipality (rarely several) of the person's postal code; a prefecture's residents are those of any of its
    municipalities."""
    if organisation.is_prefecture:
        return any(m.prefecture_code == organisation.code for m in residence)
    return any(m.code == organisation.code for m in residence)


@dataclass(frozen=True)
class WithdrawalPlan:
    """What withdrawing `target` does. Decision (docs/decisions.md): a co-registered prefecture stays while another
    of its municipalities, or the person's own direct registration, still holds it; it goes with the last one."""

    delete_target: Registration
    unlink_from_prefecture: Registration | None = None  # prefecture item from which target's code is removed
    delete_prefecture: Registration | None = None  # prefecture item removed with the last municipality


def plan_withdrawal(target: Registration, target_org: Organisation, prefecture: Registration | None) -> WithdrawalPlan:
    if target_org.is_prefecture or prefecture is None or target.organisation_code not in prefecture.via:
        return WithdrawalPlan(delete_target=target)
    remaining = prefecture.via - {target.organisation_code}
    if remaining or prefecture.direct:
        return WithdrawalPlan(delete_target=target, unlink_from_prefecture=prefecture)
    return WithdrawalPlan(delete_target=target, delete_prefecture=prefecture)
