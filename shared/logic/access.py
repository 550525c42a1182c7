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
        if self.needs_write(user_id):
            self._repo.record_access(user_id, clock.today())
            self.written(user_id)

    def needs_write(self, user_id: str) -> bool:
        """Whether this container has not recorded the user today (a caller may write it in its own transaction)."""
        today = clock.today()
        if today != self._day or len(self._seen) >= _MAX_REMEMBERED:
            self._day, self._seen = today, set()
        return user_id not in self._seen

    def written(self, user_id: str) -> None:
        self._seen.add(user_id)
