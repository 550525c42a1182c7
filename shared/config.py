"""Environment of a function, validated once at cold start: a missing variable fails fast, with its name."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    # Idempotency records live in the same table (national area); how long a retried request returns the first result.
    idempotency_ttl_seconds: int = Field(alias="IDEMPOTENCY_TTL_SECONDS", default=24 * 3600, gt=0)
    # Joined organisations change rarely (an organisation joins once); browsing reads them from a container cache.
    organisation_cache_seconds: int = Field(alias="ORGANISATION_CACHE_SECONDS", default=60, ge=0)
    # Secrets Manager secret holding the check-in signing keys (admin signs, checkin verifies); cached this long.
    checkin_keys_secret: str | None = Field(alias="CHECKIN_KEYS_SECRET", default=None, min_length=1)
    secret_cache_seconds: int = Field(alias="SECRET_CACHE_SECONDS", default=300, ge=0)
    # S3 bucket for attendance evidence (R-ACT-3): uploaded by the app with a presigned POST, viewed by staff.
    evidence_bucket: str | None = Field(alias="EVIDENCE_BUCKET", default=None, min_length=1)


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
