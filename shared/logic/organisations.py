"""Organisations as the use cases see them: a code that must exist, and its reference in responses."""

from __future__ import annotations

from ..domain.errors import UnknownOrganisation
from ..domain.models import OrganisationRef
from ..organisations import catalog
from ..organisations.catalog import Organisation


def known_organisation(code: str) -> Organisation:
    org = catalog.get(code)
    if org is None:
        raise UnknownOrganisation(f"no prefecture or municipality has the code {code}", organisation_code=code)
    return org


def organisation_ref(org: Organisation) -> OrganisationRef:
    return OrganisationRef(
        code=org.code, name=org.name, kind=org.kind, prefecture_code=org.prefecture_code, prefecture_name=org.prefecture_name
    )
