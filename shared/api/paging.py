"""The two query parameters of every list route (issue 6: bounded responses): `limit` and `next`."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from ..domain.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_TOKEN_CHARS

Limit = Annotated[
    int,
    Query(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page: 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})"),
]
NextToken = Annotated[
    str | None,
    Query(
        alias="next",
        min_length=1,
        max_length=MAX_TOKEN_CHARS,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The `next` of the previous page (opaque); absent for the first page. A token this list did not "
        "hand out is refused with 400 invalid-page-token.",
    ),
]
