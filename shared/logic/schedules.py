"""The daily schedules (R-PRE-6, R-BAS-5): a run fans its day out into queue messages, one per shard of the due
index; each message works one page of its shard and sends the next page's message, the last page marks the shard
done. Rules: shared/domain/schedules.py; data: shared/dal/schedules.py.

Why this cannot do a day twice or leave half of it: every step on an item is conditional on the item still being due
for the same anchor (shared/dal/schedules.py) or written under an id derived from it (notices), so a redelivered
message or a resumed run repeats nothing; a shard is marked done only after its last page, so a run cut short is
finished by the next run (it re-sends every shard of the catch-up days not marked done)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from .. import clock
from ..dal.keys import DUE_SHARDS
from ..dal.mail import Mail, Mailer
from ..dal.premium import PremiumRepository
from ..dal.premium_settings import PremiumSettingsRepository
from ..dal.repository import Repository
from ..dal.schedules import ScheduleRepository, WorkQueue
from ..domain import premium as premium_rules
from ..domain import schedules as rules
from ..domain.errors import ConcurrentUpdate, RegistrationNotFound
from ..domain.models import Registration
from ..domain.premium_application import ApplyForPremium, Notice, NoticeKind, PremiumApplication, new_application_id
from ..observability import logger
from .organisations import known_organisation

# Due items per message, so that a page's work stays well inside one invocation (10 s): a removal withdraws every
# registration of the person (several round trips each), a reminder may judge, a lapse is a few writes.
RESERVED_MS = 3_000  # a run stops reading shards when its invocation has less time left than this
PAGE_SIZES: dict[rules.Job, int] = {
    "premium_reminder": 25, "premium_lapse": 50, "inactivity_notice": 25, "inactivity_removal": 5,
}


def notice_time(day: date) -> datetime:
    """When a schedule's notice says it was written: the start of its run day in Japan. Fixed per day, so a step
    repeated later writes the same notice (its key holds the time), not a second one."""
    return datetime.combine(day, time(0, 0), rules.TOKYO)


@dataclass
class Notifier:
    """An in-app notice once per id, and its e-mail where the person gave an address to that organisation: sent
    until marked sent (at least once), as the premium workflow's outcome notices are."""

    premium: PremiumRepository
    mailer: Mailer

    def tell(self, user_id: str, registration: Registration, kind: NoticeKind, notice_id: str, day: date,
             text: tuple[str, str]) -> None:
        title, body = text
        notice = Notice(id=notice_id, organisation_code=registration.organisation_code, kind=kind, title=title,
                        body=body, at=notice_time(day))
        if not self.premium.put_notice(user_id, notice):
            return
        email = registration.personal.email if registration.personal else None
        if email:
            self.mailer.send(Mail(to=(email,), subject=f"【ふるさと住民登録】{title}", text=f"{title}\n\n{body}\n"))
        self.premium.mark_emailed(user_id, notice, clock.now())


# --- the jobs: what happens to one due item -------------------------------------------------------------------------

Step = Callable[[dict[str, Any], date, date], None]  # (due index item, run day, anchor day)


@dataclass
class PremiumReminders:
    """premium_reminder: renewed by the system where the organisation approves automatically and the person
    qualifies (guideline 2-6, R-PRE-6: through the same workflow as an application), else reminded to apply."""

    registrations: Repository
    settings: PremiumSettingsRepository
    assess: Callable[[PremiumApplication], PremiumApplication]  # PremiumJudge.assess
    apply: Callable[[str, ApplyForPremium], Any]  # PremiumApplications.apply
    notifier: Notifier

    def __call__(self, item: dict[str, Any], today: date, expires_on: date) -> None:
        code, user_id = item["org_code"], item["user_id"]
        registration = self.registrations.get_registrations(user_id, [code]).get(code)
        if registration is None or registration.premium_expires_on != expires_on or registration.premium_open:
            return  # withdrawn, renewed, or an application is open already
        if self._renews_automatically(registration):
            try:
                self.apply(user_id, ApplyForPremium(organisation_code=code))
                return
            except (RegistrationNotFound, ConcurrentUpdate):
                return  # withdrawn or changed meanwhile: the next day's items are not this one's
        name = known_organisation(code).name
        self.notifier.tell(user_id, registration, "premium_reminder", f"reminder-{expires_on.isoformat()}", today,
                           rules.reminder_text(name, expires_on))

    def _renews_automatically(self, registration: Registration) -> bool:
        requirements = self.settings.get(registration.organisation_code).requirements()
        if not requirements.auto_approve or requirements.extra_conditions:
            return False
        probe = PremiumApplication(id=new_application_id(), organisation_code=registration.organisation_code,
                                   user_id=registration.user_id, status="judging", applied_at=clock.now(), renewal=True)
        judgement = self.assess(probe).judgement
        return judgement is not None and judgement.eligible and judgement.approval == "automatic"


@dataclass
class PremiumLapses:
    """premium_lapse: premium that ended yesterday without a renewal is basic again (R-PRE-6); the person is told
    first, then the lapse is written (a step cut short between the two tells again: the same notice, not twice)."""

    registrations: Repository
    schedules: ScheduleRepository
    notifier: Notifier

    def __call__(self, item: dict[str, Any], today: date, expires_on: date) -> None:
        code, user_id = item["org_code"], item["user_id"]
        registration = self.registrations.get_registrations(user_id, [code]).get(code)
        if registration is None or registration.premium_expires_on != expires_on:
            return
        if premium_rules.is_premium(registration.premium_expires_on, today):
            return  # a run for a day not yet over (a clock moved back locally): not lapsed yet
        name = known_organisation(code).name
        self.notifier.tell(user_id, registration, "premium_lapsed", f"lapsed-{expires_on.isoformat()}", today,
                           rules.lapse_text(name, expires_on))
        self.schedules.lapse(code, user_id, expires_on)


@dataclass
class Inactivity:
    """R-BAS-5. inactivity_notice: no app access for years: each registration's organisation tells the person the
    deadline (in-app and by e-mail); the account moves to the removal anchor. inactivity_removal: the deadline
    passed without access (an access removes the removal anchor): the person is told by e-mail, each registration
    goes through the withdrawal (records stay, anonymous: docs/retention.md), the account records when."""

    registrations: Repository
    schedules: ScheduleRepository
    notifier: Notifier
    withdraw: Callable[[str, str], Any]  # AccountService.withdraw: bounded per call, repeated until done
    timing: rules.Timing

    def notice(self, item: dict[str, Any], today: date, last_access: date) -> None:
        user_id = item["due_sk"]
        account = self.registrations.get_account(user_id) or {}
        if account.get("last_access") != last_access.isoformat() or "deleting_since" in account:
            return  # came back meanwhile, or the account is going
        deadline = rules.removal_deadline(last_access, self.timing.inactivity_years)
        registrations = self.registrations.all_registrations_of_user(user_id)
        for registration in registrations.values():
            name = known_organisation(registration.organisation_code).name
            self.notifier.tell(user_id, registration, "inactivity_warning", f"inactivity-{deadline.isoformat()}",
                               today, rules.inactivity_text(name, deadline))
        if registrations:
            self.schedules.tell_of_removal(user_id, last_access, deadline, today)

    def removal(self, item: dict[str, Any], today: date, deadline: date) -> None:
        user_id = item["due_sk"]
        account = self.registrations.get_account(user_id) or {}
        if account.get("removal_due") != deadline.isoformat() or "deleting_since" in account:
            return  # came back (an access removes the anchor), removed already, or the account is going
        registrations = self.registrations.all_registrations_of_user(user_id)
        if registrations:
            # E-mail first: the addresses go with the registrations. A step cut short after it e-mails again.
            by_address: dict[str, list[str]] = {}
            for registration in registrations.values():
                if registration.personal and registration.personal.email:
                    by_address.setdefault(registration.personal.email, []).append(
                        known_organisation(registration.organisation_code).name)
            for address, names in by_address.items():
                title, body = rules.removal_text(names, deadline)
                self.notifier.mailer.send(Mail(to=(address,), subject=f"【ふるさと住民登録】{title}", text=f"{title}\n\n{body}\n"))
            # Municipalities first: a prefecture co-registration may go with its municipality's withdrawal.
            for code in sorted(registrations, key=lambda c: known_organisation(c).is_prefecture):
                self._withdraw(user_id, code)
        self.schedules.removal_done(user_id, deadline, clock.now())

    def _withdraw(self, user_id: str, code: str) -> None:
        from .account import ErasureInProgress

        for _ in range(20):
            try:
                if not isinstance(self.withdraw(user_id, code), ErasureInProgress):
                    return
            except RegistrationNotFound:
                return  # gone with its municipality (a co-registration), or a repeated step
        raise ConcurrentUpdate(f"withdrawal of {code} not finished: the message is retried")


# --- the runner: fan-out and pages -------------------------------------------------------------------------------------


@dataclass
class ScheduleRunner:
    jobs: tuple[rules.Job, ...]
    schedules: ScheduleRepository
    queue: WorkQueue
    steps: dict[rules.Job, Step]
    timing: rules.Timing
    page_sizes: dict[rules.Job, int] = field(default_factory=lambda: dict(PAGE_SIZES))
    shards: int = field(default=DUE_SHARDS)

    def run(self, today: date, time_left_ms: Callable[[], int] = lambda: 60_000) -> dict[str, int]:
        """The schedule's event, for today and the catch-up days: each shard not done of each job's anchor days is
        read here (its first page); a shard with nothing due is marked done at once (one write per job and day), a
        shard with items goes to the queue with its page (and the next page's token). Items read: those due. When
        the invocation runs short of time, the remaining shards go to the queue unread (their messages read them)."""
        wanted = [(job, day, anchor) for job in self.jobs for day in rules.run_days(today)
                  for anchor in rules.anchor_days(job, day, self.timing)]
        done = self.schedules.done_shards((job, anchor) for job, _, anchor in wanted)
        messages: list[str] = []
        read = 0
        for job, day, anchor in wanted:
            empty: set[int] = set()
            for shard in range(self.shards):
                if shard in done[(job, anchor)]:
                    continue
                work = rules.WorkItem(job=job, day=day, anchor_day=anchor, shard=shard)
                if time_left_ms() < RESERVED_MS:
                    messages.append(work.model_dump_json())
                    continue
                page = self.schedules.due_page(rules.ANCHORS[job], anchor, shard, self.page_sizes[job], None)
                read += len(page.items)
                if page.items:
                    messages.append(work.model_copy(update={"due": page.items, "token": page.next}).model_dump_json())
                else:
                    empty.add(shard)
            if empty:
                self.schedules.mark_done(job, anchor, empty)
        self.queue.send(messages)
        logger.info("schedule run", extra={"day": today.isoformat(), "messages": len(messages), "due_read": read})
        return {"messages": len(messages), "due_read": read}

    def work(self, item: rules.WorkItem) -> int:
        """One message: one page of one shard; the next page's message, or the shard marked done. Returns the
        number of due items worked."""
        if item.due is not None:
            due, token = item.due, item.token
        else:
            page = self.schedules.due_page(rules.ANCHORS[item.job], item.anchor_day, item.shard,
                                           self.page_sizes[item.job], item.token)
            due, token = page.items, page.next
        step = self.steps[item.job]
        for entry in due:
            step(entry, item.day, item.anchor_day)
        if token is not None:
            self.queue.send([item.model_copy(update={"token": token, "due": None}).model_dump_json()])
        else:
            self.schedules.mark_done(item.job, item.anchor_day, {item.shard})
        return len(due)
