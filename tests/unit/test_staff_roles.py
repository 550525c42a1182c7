"""Staff roles come from `cognito:groups` exactly (R-ADM-1): API Gateway's shapes of the claim are read, every name is
taken whole, and only the names `editor` and `viewer` are roles."""

from __future__ import annotations

import pytest

from shared.domain.staff import parse_groups


@pytest.mark.parametrize(
    ("claim", "groups"),
    [
        ("[editor]", {"editor"}),
        ("[editor, viewer]", {"editor", "viewer"}),  # REST API's rendering of the array
        ("[editor viewer]", {"editor", "viewer"}),  # HTTP API's
        ('["editor","viewer"]', {"editor", "viewer"}),  # JSON (the local gateway)
        ("editor viewer", {"editor", "viewer"}),
        ("viewer", {"viewer"}),
        (["editor"], {"editor"}),
        ("", set()),
        ("[]", set()),
        (None, set()),
    ],
)
def test_the_claims_shapes_are_read(claim, groups) -> None:
    assert parse_groups(claim) == groups


def test_a_group_whose_name_contains_a_role_is_not_that_role() -> None:
    """Cognito group names may hold punctuation: "pending,editor" or "[editor]" are groups of their own. Before, the
    claim was split on every comma, bracket and space, so each of these granted editor."""
    for claim in ("[pending,editor]", "pending,editor", "[[editor]]", '["pending editor"]', "[editor-pending]"):
        assert "editor" not in parse_groups(claim), claim
    assert parse_groups("[pending,editor, viewer]") == {"pending,editor", "viewer"}
