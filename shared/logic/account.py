"""Withdrawal from an organisation and deletion of the whole account (app stores require in-app deletion). What
each erases and keeps is decided per store in shared/dal/personal_data.py (docs/retention.md).

Both are bounded per request (`items_per_request` erasures) and resumable: erasers are idempotent and the
decisive step comes last, so a request that stops half-way (the budget, a failure) is finished by repeating it.
Raises domain errors only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel

from .. import clock
from ..dal.personal_data import PersonalDataEraser, item_type
from ..dal.repository import Repository
from ..domain import registration as rules
from ..domain.errors import ConcurrentUpdate, DeletionNotConfirmed, RegistrationNotFound
from ..domain.models import WithdrawResponse
from ..organisations import catalog
from .organisations import known_organisation, organisation_ref

ATTEMPTS_ON_CONCURRENT_UPDATE = 3
CONFIRMATION = "DELETE"  # the value of the Confirm-Account-Deletion header
# The tombstone outlives the account's last ID token (1 hour, infra/components/identity.py) with a wide margin.
TOMBSTONE_LIFETIME = timedelta(days=1)


class ErasureInProgress(BaseModel):
    """202: more of the person's data remains than one request erases; repeat the same request to go on."""

    status: Literal["in_progress"] = "in_progress"
    erased: int
    message: str


@dataclass
class _Budget:
    left: int

    def spend(self) -> None:
        self.left -= 1

    @property
    def exhausted(self) -> bool:
        return self.left <= 0


@dataclass
class AccountService:
    registrations: Repository
    eraser: PersonalDataEraser
    delete_sign_in: Callable[[str], None]  # Cognito AdminDeleteUser of the citizens' pool; a missing user is done
    items_per_request: int

    # --- withdrawal (DELETE /me/registrations/{code}) ----------------------------------------------------------------

    def withdraw(self, user_id: str, code: str) -> WithdrawResponse | ErasureInProgress:
        """Erases the person's partition at the organisation (and at its prefecture when the co-registration goes
        with it): registration with personal data and answers, applications (places freed), evidence and files;
        records become anonymous. Everything but the registrations first, so that a request stopped half-way is
        resumed by repeating it; the registrations last, in one transaction (R-ORG-2: the prefecture's `via`)."""
        org = known_organisation(code)
        prefecture_code = org.prefecture_code
        budget = _Budget(self.items_per_request)
        for attempt in range(ATTEMPTS_ON_CONCURRENT_UPDATE):
            registrations = self.registrations.get_registrations(user_id, {code, prefecture_code})
            target = registrations.get(code)
            if target is None:
                raise RegistrationNotFound(f"not registered with {org.name} ({code})", organisation_code=code)
            plan = rules.plan_withdrawal(target, org, None if org.is_prefecture else registrations.get(prefecture_code))
            partitions = [code] + ([prefecture_code] if plan.delete_prefecture is not None else [])
            for partition in partitions:
                if not self._erase_partition(user_id, partition, budget):
                    return self._in_progress(budget, "登録の解除を続けています。もう一度同じ操作をしてください")
            try:
                self.registrations.delete_registrations(plan.delete_target, plan.unlink_from_prefecture, plan.delete_prefecture)
            except ConcurrentUpdate:
                if attempt == ATTEMPTS_ON_CONCURRENT_UPDATE - 1:
                    raise
                continue
            # What a concurrent check-in wrote between the erasure and the registrations' deletion (none can come
            # after it: attendance needs the registration). Best effort within the budget; DELETE /me finds any rest.
            for partition in partitions:
                self._erase_partition(user_id, partition, budget)
            return self._withdrawn(org, plan)
        raise AssertionError("unreachable")

    def _withdrawn(self, org, plan: rules.WithdrawalPlan) -> WithdrawResponse:
        withdrawn = [organisation_ref(org)]
        prefecture = catalog.get(org.prefecture_code)
        kept = None
        if plan.delete_prefecture is not None:
            withdrawn.append(organisation_ref(prefecture))
            message = f"{org.name}の登録を解除しました。{prefecture.name}への同時登録も解除しました"
        elif plan.unlink_from_prefecture is not None:
            kept = organisation_ref(prefecture)
            message = f"{org.name}の登録を解除しました。{prefecture.name}の登録は続いています"
        else:
            message = f"{org.name}の登録を解除しました"
        return WithdrawResponse(withdrawn=withdrawn, kept_prefecture=kept, message=message)

    def _erase_partition(self, user_id: str, code: str, budget: _Budget) -> bool:
        """Everything of the person at `code` but the registration item. True when nothing is left to erase."""
        start = None
        while True:
            if budget.exhausted:
                return False
            page = self.eraser.items_at(code, user_id, limit=budget.left + 1, start=start)
            now = clock.now()
            for item in page.items:
                if item_type(item) == "Registration":  # goes last, in the withdrawal's transaction
                    continue
                if budget.exhausted:
                    return False
                self.eraser.erase(item, now)
                budget.spend()
            if page.next_start is None:
                return True
            start = page.next_start

    # --- account deletion (DELETE /me) -------------------------------------------------------------------------------

    def delete_account(self, user_id: str, username: str, confirmation: str | None) -> ErasureInProgress | None:
        """Every item the person owns (found through the person's index), then the sign-in account, then the
        tombstone. None when done; repeating it after completion is done again (the tombstone says so)."""
        if confirmation != CONFIRMATION:
            raise DeletionNotConfirmed(f"send the header Confirm-Account-Deletion: {CONFIRMATION} to delete the account")
        account = self.registrations.get_account(user_id) or {}
        if "deleted_at" in account:
            return None
        self.registrations.begin_account_deletion(user_id, clock.now())
        budget = _Budget(self.items_per_request)
        start, found_in_pass = None, 0
        while True:
            if budget.exhausted:
                return self._in_progress(budget, "アカウントの削除を続けています。もう一度同じ操作をしてください")
            page = self.eraser.items_of_person(user_id, limit=budget.left, start=start)
            now = clock.now()
            for item in page.items:
                self.eraser.erase(item, now)
                budget.spend()
            found_in_pass += len(page.items)
            if page.next_start is not None:
                start = page.next_start
                continue
            if found_in_pass == 0:
                break  # a whole pass found nothing: the person owns nothing more
            start, found_in_pass = None, 0  # once more from the start: what the index showed late
        self.eraser.erase_open_uploads(user_id)
        self.eraser.erase_subject_claim(user_id, account)
        self.eraser.erase_verification_requests(user_id)
        self.delete_sign_in(username)
        now = clock.now()
        self.registrations.finish_account_deletion(user_id, now, now + TOMBSTONE_LIFETIME)
        return None

    def _in_progress(self, budget: _Budget, message: str) -> ErasureInProgress:
        return ErasureInProgress(erased=self.items_per_request - budget.left, message=message)
