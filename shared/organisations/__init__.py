"""Organisation master data: 47 prefectures + 1,741 municipalities (R-ORG-1).

See :mod:`shared.organisations.catalog`. Data is loaded lazily on first use.
"""

from .catalog import (
    Organisation,
    all_organisations,
    check_digit,
    get,
    is_valid_lg_code,
    municipalities_for_postal_code,
    municipalities_of,
    normalize_postal_code,
    prefectures,
    search,
    to_lg_code,
)

__all__ = [
    "Organisation",
    "all_organisations",
    "check_digit",
    "get",
    "is_valid_lg_code",
    "municipalities_for_postal_code",
    "municipalities_of",
    "normalize_postal_code",
    "prefectures",
    "search",
    "to_lg_code",
]
