"""The registry of what a person owns (shared/dal/personal_data.py) is complete and docs/retention.md is it
(issue 7 part 4; R-PRIV-1, R-BAS-5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.dal.personal_data import STORES, STORES_BY_TYPE, PersonalDataEraser, item_type, new_anonymous_id
from shared.dal.table import REGISTRATIONS_BY_USER

DOC = (Path(__file__).resolve().parents[2] / "docs" / "retention.md").read_text(encoding="utf-8")


def _doc_rows() -> dict[str, list[str]]:
    table = DOC.split("## Stores", 1)[1].split("\n\n")[2]
    rows = [line.strip("|").split(" | ") for line in table.splitlines()[2:]]
    return {cells[0].strip(): [c.strip() for c in cells] for cells in rows}


def test_docs_retention_lists_every_store_as_the_registry_declares_it():
    rows = _doc_rows()
    assert list(rows) == [s.item_type for s in STORES]
    for store in STORES:
        expected = [store.item_type, store.holds, "yes" if store.personal_data else "no", store.found_by,
                    store.on_withdrawal, store.on_account_deletion, store.retention]
        assert rows[store.item_type] == expected, store.item_type


def test_every_store_account_deletion_erases_has_an_eraser_and_is_found_through_the_persons_index():
    eraser = PersonalDataEraser(client=None, table_name="t", files=None)
    erased = {s.item_type for s in STORES if s.on_account_deletion in ("deleted", "anonymised")}
    # Evidence files go with their Evidence item (the file first): no table item of their own; the open uploads and
    # the subject claim and started verifications are found by key (PersonalDataEraser.erase_open_uploads,
    # erase_subject_claim, erase_verification_requests).
    # StatMembership: the statistics function deletes it from the table's stream when the person's last counted
    # registration is deleted (tests/handlers/test_statistics.py), found by key.
    assert set(eraser.ERASERS) == erased - {"EvidenceFile", "OpenUploads", "SubjectClaim", "VerificationRequest", "StatMembership"}
    assert STORES_BY_TYPE["StatMembership"].found_by.startswith("by key")
    assert STORES_BY_TYPE["OpenUploads"].found_by.startswith("by key")
    assert STORES_BY_TYPE["SubjectClaim"].found_by.startswith("by key")
    for kind in eraser.ERASERS:
        assert STORES_BY_TYPE[kind].found_by.startswith("person index"), kind
    assert "type" in REGISTRATIONS_BY_USER.non_key_attributes  # the index tells the eraser what an item is


def test_personal_data_is_never_kept_unchanged_by_account_deletion_unless_it_is_not_the_accounts():
    # One exception, decided (docs/decisions.md, "Registrant exports expire, account deletion does not rewrite
    # them"): a staff registrant export's CSV, a snapshot of many registrants that expires within RETENTION_DAYS.
    from shared.domain.exports import RETENTION_DAYS

    for store in STORES:
        if store.personal_data and store.on_account_deletion not in ("deleted", "anonymised"):
            if store.item_type == "ExportFile":
                assert store.on_account_deletion == "expires" and store.retention.startswith(f"{RETENTION_DAYS} days")
                continue
            assert "no account links it" in store.found_by, store.item_type


def test_items_are_told_apart_by_type_and_idempotency_records_by_their_key():
    assert item_type({"type": "Registration", "pk": "ORG#042056#USER#u"}) == "Registration"
    assert item_type({"pk": "NAT#IDEMPOTENCY#register.fn#abc", "sk": "IDEMPOTENCY"}) == "IdempotencyRecord"
    with pytest.raises(ValueError):
        item_type({"pk": "ORG#042056#USER#u", "sk": "SOMETHING_NEW"})  # a new store must give its items a type
    assert re.fullmatch(r"anon-[0-9a-f]{16}", new_anonymous_id()) and new_anonymous_id() != new_anonymous_id()
