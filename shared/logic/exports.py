"""The staff registrant export (R-PRIV-2, R-ORG-3; issue 10 item 4): asked for on the admin API, written by the
exports function from its work queue, fetched with a presigned link. A large organisation's export (a million
registrants: ~200 MB) exceeds what a Lambda response can carry (6 MB) and what a container should hold, so the CSV is
an S3 multipart upload written over chained queue messages: each message writes a bounded number of list pages as
one part (at least 5 MiB but the last), records it on the export item (conditional on its part number: a message
delivered twice changes nothing) and sends the next; the last completes the upload.

Only the staff's own organisation's exports exist for them: every read is keyed by the token's organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import Field

from .. import clock
from ..dal.exports import ExportFiles, ExportJob, ExportRepository
from ..dal.schedules import WorkQueue
from ..domain import exports as rules
from ..domain.errors import ExportNotFound, IdempotencyKeyReused, TooManyExports
from ..domain.exports import ExportStep, RegistrantExport
from ..domain.paging import Paged
from ..domain.registrants import RegistrantFilter
from ..domain.staff import VIEWER, StaffMember
from .registrants import RegistrantService


class ExportList(Paged):
    exports: list[RegistrantExport] = Field(description="Newest first; each kept 7 days")


@dataclass
class ExportService:
    """admin function: ask for an export, follow it, list them."""

    store: ExportRepository
    files: ExportFiles
    queue: WorkQueue

    def create(self, staff: StaffMember, wanted: RegistrantFilter, client_key: str | None) -> tuple[bool, RegistrantExport]:
        """Queues an export of the staff's organisation's registrants (filtered like the list). With an
        Idempotency-Key, a retried request gets the export the first one made (created False)."""
        staff.require(VIEWER)
        wanted.since_bounds()  # since_from after since_to: 422 before anything is written
        code, now = staff.organisation.code, clock.now()
        request = rules.request_hash(staff.user_id, client_key) if client_key else None
        active = [
            e for e in self.store.recent(code, 20)
            if e.status in rules.ACTIVE and (now - e.created_at).total_seconds() < rules.STALE_SECONDS
        ]
        export = RegistrantExport(
            id=rules.new_export_id(now), status="queued", filters=wanted, created_at=now, created_by=staff.user_id,
            expires_at=now + timedelta(days=rules.RETENTION_DAYS),
        )
        if len(active) >= rules.MAX_ACTIVE_EXPORTS:
            # A retry of a request that made one of them is answered with it; anything else waits.
            earlier = self.store.requested(code, request) if request else None
            if earlier is None:
                raise TooManyExports(f"{len(active)} exports are in progress", limit=rules.MAX_ACTIVE_EXPORTS)
            return False, self._replayed(code, earlier, wanted)
        existing = self.store.create(code, export, rules.filters_hash(wanted), request)
        if existing is not None:
            return False, self._replayed(code, existing, wanted)
        self.queue.send([ExportStep(code=code, export_id=export.id, part=1).model_dump_json()])
        return True, export

    def _replayed(self, code: str, existing: RegistrantExport, wanted: RegistrantFilter) -> RegistrantExport:
        if existing.filters != wanted:
            raise IdempotencyKeyReused("this Idempotency-Key asked for another export")
        if existing.status == "queued":  # the first request's message may have been lost: send it again
            self.queue.send([ExportStep(code=code, export_id=existing.id, part=1).model_dump_json()])
        return existing

    def get(self, staff: StaffMember, export_id: str) -> RegistrantExport:
        staff.require(VIEWER)
        code = staff.organisation.code
        job = self.store.job(code, export_id)
        if job is None or job.export.expires_at <= clock.now():
            raise ExportNotFound(f"no export {export_id} of {code}", export_id=export_id)
        export = job.export
        if export.status == "done":
            export = export.model_copy(update={
                "url": self.files.link(job.object_key, rules.LINK_SECONDS),
                "url_expires_at": clock.now() + timedelta(seconds=rules.LINK_SECONDS),
            })
        return export

    def list(self, staff: StaffMember, limit: int, token: str | None) -> ExportList:
        staff.require(VIEWER)
        found = self.store.page(staff.organisation.code, limit, token)
        return ExportList(exports=found.items, next=found.next)


@dataclass
class ExportWriter:
    """exports function: one step of an export per queue message."""

    store: ExportRepository
    files: ExportFiles
    queue: WorkQueue
    registrants: RegistrantService
    part_bytes: int  # a part is written once it holds this much (S3: at least 5 MiB but the last)
    page_size: int = 100

    def step(self, message: ExportStep) -> str:
        """Writes part `message.part`; what happened ("written", "done", "skipped": nothing to do)."""
        job = self.store.job(message.code, message.export_id)
        if job is None or job.export.status in ("done", "failed"):
            return "skipped"
        if job.next_part == message.part + 1 and job.export.status == "running":
            # This part is recorded: the continuation may have been lost after it, so send it again (the next
            # step's own condition makes a duplicate do nothing).
            self._send_next(job, message.part + 1)
            return "skipped"
        if job.next_part != message.part:
            return "skipped"  # an older delivery: its part is recorded, its continuation sent
        if message.part == 1 and job.upload_id is None:
            upload_id = self.files.begin(job.object_key)
            if not self.store.start(job, upload_id):
                self.files.abort(job.object_key, upload_id)
                return "skipped"
            job = self.store.job(message.code, message.export_id)
            assert job is not None
        assert job.upload_id is not None
        body, rows, token = self._collect(job, first=message.part == 1)
        etag = self.files.put_part(job.object_key, job.upload_id, message.part, body)
        if token is None:
            self.files.complete(job.object_key, job.upload_id, [*job.parts, {"n": message.part, "etag": etag}])
            self.store.finish(job, message.part, rows, clock.now())
            return "done"
        if self.store.record_part(job, message.part, etag, rows, token):
            self._send_next(job, message.part + 1)
        return "written"

    def _collect(self, job: ExportJob, first: bool) -> tuple[bytes, int, str | None]:
        """Pages of the list from the job's token until the part is full or the list ends: the bytes, the rows and
        the token to go on from (None: the list ended)."""
        chunks: list[bytes] = []
        size, rows, token = 0, 0, job.page_token
        day = job.export.created_at.astimezone(clock.TOKYO).date()  # "level" as of the day asked for, every part
        while True:
            page = self.registrants.page_of(job.code, job.export.filters, day, self.page_size, token)
            chunk = rules.csv_bytes(page.registrants, first=first and not chunks)
            chunks.append(chunk)
            size, rows, token = size + len(chunk), rows + len(page.registrants), page.next
            if token is None or size >= self.part_bytes:
                return b"".join(chunks), rows, token

    def _send_next(self, job: ExportJob, part: int) -> None:
        self.queue.send([ExportStep(code=job.code, export_id=job.export.id, part=part).model_dump_json()])

    def give_up(self, message: ExportStep) -> None:
        """The message's last delivery failed (the dead-letter queue takes it): the export is failed and its
        multipart upload aborted (its parts would otherwise be kept, and billed, until the bucket's rule)."""
        job = self.store.job(message.code, message.export_id)
        if job is None:
            return
        if job.upload_id:
            self.files.abort(job.object_key, job.upload_id)
        self.store.fail(job, clock.now())
