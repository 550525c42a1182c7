"""The citizens' Cognito user pool (the national account, R-PRIV-1: its e-mail is the one identifying datum the
national area keeps)."""

from __future__ import annotations


class CitizenAccounts:
    def __init__(self, cognito_client, user_pool_id: str) -> None:
        self._cognito = cognito_client
        self._pool = user_pool_id

    def delete(self, username: str) -> None:
        """AdminDeleteUser: the e-mail, password and refresh tokens go (a deleted user cannot refresh). A user
        already deleted (a repeated request) is done."""
        try:
            self._cognito.admin_delete_user(UserPoolId=self._pool, Username=username)
        except self._cognito.exceptions.UserNotFoundException:
            return
