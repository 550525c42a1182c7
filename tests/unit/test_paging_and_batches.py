"""The data layer's helpers for bounded lists (issue 6 part 4) and for the two DynamoDB calls that fail partly
(issue 7 part 6): page tokens (encode, decode, tamper), batch reads that retry unprocessed keys with a bounded
backoff, and transaction cancellation reasons read by item name. Pure: fake clients, no moto."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError

from shared.dal import batch
from shared.dal.paging import KeyQuery, decode_position, decode_token, encode_position, encode_token, query_page
from shared.dal.table import OPEN_RECRUITMENT, REGISTRATIONS_BY_USER
from shared.dal.transactions import Transaction, TransactionCancelled
from shared.domain.errors import InvalidPageToken, ServiceUnavailable

MINE = KeyQuery("USER#alice", index=REGISTRATIONS_BY_USER, prefix="ORG#")
ALICE_KEY = {"user_pk": "USER#alice", "user_sk": "ORG#212172", "pk": "ORG#212172#USER#alice", "sk": "REGISTRATION"}


def _dynamo(key: dict[str, str]) -> dict[str, dict[str, str]]:
    return {k: {"S": v} for k, v in key.items()}


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# --- page tokens ---------------------------------------------------------------------------------------------------


def test_a_token_is_opaque_url_safe_and_leads_back_to_the_same_key():
    token = encode_token(_dynamo(ALICE_KEY))
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert MINE.start_key(decode_token(token)) == _dynamo(ALICE_KEY)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not base64!",
        "e30",  # {}
        _b64([1, 2]),
        _b64({"pk": 1}),
        _b64({"pk": "x" * 301}),
        _b64({f"k{i}": "v" for i in range(5)}),
        "A" * 2000,
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        encode_token(_dynamo(ALICE_KEY)) + "==",  # not as we write it
    ],
)
def test_r_priv_2_a_malformed_token_is_an_invalid_page_token(token):
    with pytest.raises(InvalidPageToken):
        MINE.start_key(decode_token(token))


@pytest.mark.parametrize(
    "change",
    [
        {"user_pk": "USER#bob"},  # another person's partition
        {"user_sk": "APPLICATION#212172#a0"},  # outside the key condition (the applications part)
    ],
)
def test_r_priv_2_a_token_steered_to_another_partition_or_outside_the_list_is_refused(change):
    with pytest.raises(InvalidPageToken):
        MINE.start_key(decode_token(_b64({**ALICE_KEY, **change})))


def test_a_token_of_another_list_is_refused_by_its_key_attributes():
    table_key = {"pk": "USER#alice", "sk": "ORG#1"}  # the base table's shape, used on an index's list
    with pytest.raises(InvalidPageToken):
        MINE.start_key(decode_token(_b64(table_key)))
    with pytest.raises(InvalidPageToken):
        MINE.start_key(decode_token(_b64({**ALICE_KEY, "extra": "x"})))


def test_a_window_that_moved_on_restarts_at_its_new_beginning_and_a_key_past_its_end_is_refused():
    window = KeyQuery("ORG#212172#USER#alice", between=("RECORD#2026-01-01", "RECORD#2026-12-31~"))
    before = {"pk": "ORG#212172#USER#alice", "sk": "RECORD#2025-12-01#a1"}
    assert window.start_key(before) is None
    with pytest.raises(InvalidPageToken):
        window.start_key({**before, "sk": "RECORD#2027-01-02#a1"})
    not_ended = KeyQuery("RECRUIT#212172", index=OPEN_RECRUITMENT, after="000001800000000")
    ended = {"recruit_pk": "RECRUIT#212172", "recruit_sk": "000001700000000#a1", "pk": "ORG#212172", "sk": "ACTIVITY#a1"}
    assert not_ended.start_key(ended) is None


def test_a_position_holds_exactly_its_named_keys():
    token = encode_position({"after": ALICE_KEY, "within": None})
    assert decode_position(token, ("after", "within")) == {"after": ALICE_KEY, "within": None}
    for bad in ({"after": ALICE_KEY}, {"after": ALICE_KEY, "within": None, "more": None}, {"after": "x", "within": None}):
        with pytest.raises(InvalidPageToken):
            decode_position(_b64(bad), ("after", "within"))


class _Pages:
    """A fake DynamoDB Query: `pages` of items, the way DynamoDB cuts them (Limit, then LastEvaluatedKey)."""

    def __init__(self, items: list[dict], error: ClientError | None = None) -> None:
        self.items = items
        self.requests: list[dict] = []
        self.error = error

    def query(self, **request):
        self.requests.append(request)
        if self.error:
            raise self.error
        start = 0
        if "ExclusiveStartKey" in request:
            start = next(i for i, item in enumerate(self.items) if item["sk"] == request["ExclusiveStartKey"]["sk"]) + 1
        chunk = self.items[start : start + request["Limit"]]
        response = {"Items": chunk, "Count": len(chunk)}
        if start + request["Limit"] < len(self.items):
            response["LastEvaluatedKey"] = {"pk": chunk[-1]["pk"], "sk": chunk[-1]["sk"]}
        return response


def test_a_page_reads_one_item_more_so_next_is_null_exactly_on_the_last_page():
    items = [{"pk": {"S": "P"}, "sk": {"S": f"EVIDENCE#{i:02d}"}} for i in range(5)]
    query = KeyQuery("P", prefix="EVIDENCE#")
    client = _Pages(items)
    first = query_page(client, "t", query, 2)
    assert [i["sk"] for i in first.items] == ["EVIDENCE#00", "EVIDENCE#01"] and first.next
    assert client.requests[0]["Limit"] == 3
    second = query_page(client, "t", query, 2, query.start_key(decode_token(first.next)))
    third = query_page(client, "t", query, 2, query.start_key(decode_token(second.next)))
    assert [i["sk"] for i in third.items] == ["EVIDENCE#04"] and third.next is None
    exact = query_page(_Pages(items[:2]), "t", query, 2)
    assert exact.next is None  # two items, limit two: no empty last page


def test_a_start_key_dynamodb_still_refuses_is_the_clients_error_not_a_500():
    refused = ClientError(
        {"Error": {"Code": "ValidationException", "Message": "The provided starting key is invalid"}}, "Query"
    )
    query = KeyQuery("P", prefix="EVIDENCE#")
    with pytest.raises(InvalidPageToken):
        query_page(_Pages([], refused), "t", query, 2, {"pk": {"S": "P"}, "sk": {"S": "EVIDENCE#1"}})
    with pytest.raises(ClientError):  # without a token it is ours: not hidden
        query_page(_Pages([], refused), "t", query, 2)


# --- batch reads ---------------------------------------------------------------------------------------------------


class _Throttled:
    """BatchGetItem that leaves some keys unprocessed for `times` calls (DynamoDB does so under throttling)."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.calls: list[int] = []

    def batch_get_item(self, RequestItems):
        keys = RequestItems["t"]["Keys"]
        self.calls.append(len(keys))
        if len(self.calls) <= self.times:
            done, left = keys[:1], keys[1:]
        else:
            done, left = keys, []
        response = {"Responses": {"t": [dict(k, name={"S": "x"}) for k in done]}}
        if left:
            response["UnprocessedKeys"] = {"t": {**RequestItems["t"], "Keys": left}}
        return response


def test_unprocessed_keys_are_asked_again_after_a_backoff():
    client, waits = _Throttled(times=2), []
    wanted = [{"pk": f"K{i}", "sk": "S"} for i in range(4)]
    found = batch.batch_get(client, "t", wanted, sleep=waits.append)
    assert sorted(i["pk"] for i in found) == ["K0", "K1", "K2", "K3"]
    assert client.calls == [4, 3, 2] and len(waits) == 2 and all(w >= 0 for w in waits)


def test_keys_left_unprocessed_forever_end_in_a_503_after_bounded_attempts_not_a_loop():
    client, waits = _Throttled(times=10_000), []
    with pytest.raises(ServiceUnavailable):
        batch.batch_get(client, "t", [{"pk": f"K{i}", "sk": "S"} for i in range(10)], sleep=waits.append)
    assert len(client.calls) == batch.ATTEMPTS
    assert sum(waits) <= sum(batch.BASE_DELAY_SECONDS * 2**n for n in range(1, batch.ATTEMPTS))


def test_batches_of_a_hundred_keys():
    client = _Throttled(times=0)
    batch.batch_get(client, "t", [{"pk": f"K{i}", "sk": "S"} for i in range(250)], sleep=lambda _: None)
    assert client.calls == [100, 100, 50]


# --- transactions --------------------------------------------------------------------------------------------------


class _Cancelling:
    def __init__(self, codes: list[str], item: dict | None = None) -> None:
        self.codes = codes
        self.item = item

    def transact_write_items(self, TransactItems):
        assert len(TransactItems) == len(self.codes)
        reasons = [{"Code": c} for c in self.codes]
        if self.item:
            reasons[-1]["Item"] = self.item
        raise ClientError(
            {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}, "CancellationReasons": reasons},
            "TransactWriteItems",
        )


def test_cancellation_reasons_are_read_by_item_name_whatever_items_are_left_out():
    with_check = Transaction(_Cancelling(["None", "ConditionalCheckFailed"], item={"pk": {"S": "R"}}))
    with_check.add("activity", {"ConditionCheck": {}})
    with_check.add("record", {"Put": {}})
    with pytest.raises(TransactionCancelled) as cancelled:
        with_check.write()
    assert cancelled.value.failed("record") and not cancelled.value.failed("activity")
    assert cancelled.value.item("record") == {"pk": "R"}
    assert not cancelled.value.failed("registration")  # an optional item this transaction did not have


def test_two_items_may_not_share_a_name():
    transaction = Transaction(_Cancelling([]))
    transaction.add("record", {"Put": {}})
    with pytest.raises(ValueError):
        transaction.add("record", {"Put": {}})
