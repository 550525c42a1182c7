"""Bounded lists (issue 6): every list answers a page of at most MAX_PAGE_SIZE items and an opaque `next` token
(null on the last page). Tokens are made and checked in the data layer (shared/dal/paging.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100  # ~100 items of a few hundred bytes: tens of KB, far below Lambda's 6 MB response limit
MAX_TOKEN_CHARS = 1024  # a key of four short strings (two for the recruitment list), base64url


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None = None  # pass back as `?next=` for the following page; None: this was the last page


class Paged(BaseModel):
    """What every list response carries besides its items."""

    next: str | None = Field(
        default=None,
        description="Opaque token for the next page: pass it back as the `next` query parameter. Null on the last page.",
    )
