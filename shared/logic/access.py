"""Last app access, for the inactivity rule (R-BAS-5), without a write on every request: a container remembers
whom it recorded today, and the conditional write only lands when the stored day is older. At most one write
per user per day per container (and usually one per day in all)."""

from __future__ import annotations

from datetime import date

from .. import clock
from ..dal.repository import Repository

_MAX_REMEMBERED = 100_000  # ~10 MB at worst; cleared at the change of day anyway


class AccessRecorder:
    def __init__(self, repository: Repository) -> None:
        self._repo = repository
        self._day: date | None = None
        self._seen: set[str] = set()

    def note(self, user_id: str) -> None:
        today = clock.today()
        if today != self._day or len(self._seen) >= _MAX_REMEMBERED:
            self._day, self._seen = today, set()
        if user_id in self._seen:
            return
        self._repo.record_access(user_id, today)
        self._seen.add(user_id)
