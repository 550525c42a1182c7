"""E-mail from the premium workflow (shared/functions.py MAIL): an SES domain identity, and the address messages come
from (setting MAIL_FROM), both from the CDK context `mail`: {"domain": "...", "from": "no-reply@<domain>"}.

The identity uses Easy DKIM: SES verifies the domain once its three DKIM CNAME records are in the domain's DNS (the
SES console lists them; the stack has no hosted zone to write them to). Until then, and while the account is in the
SES sandbox, sending fails (the workflow's retries, then its failure step, handle it).

IAM: SES v2 SendEmail with raw MIME content (shared/dal/mail.py) is authorized as ses:SendRawEmail on the identity
the From address belongs to (the domain identity), and only for that From address (ses:FromAddress)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct

from shared.functions import Grant

from .. import constants
from .verifier import PLACEHOLDER_HOSTS

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})+")
_LOCAL_PART = re.compile(r"[a-z0-9][a-z0-9._+-]{0,63}")


@dataclass(frozen=True)
class MailConfig:
    domain: str
    sender: str  # the plain address (no display name): shared/dal/mail.py also takes its domain for Message-IDs

    @property
    def is_placeholder(self) -> bool:
        return self.domain.endswith(PLACEHOLDER_HOSTS)


def mail_config(value: Any) -> MailConfig:
    """The context `mail`: an object (cdk.json) or its JSON (`-c mail='{...}'`). ValueError naming the context key."""
    where = f"CDK context {constants.MAIL_CONTEXT!r} (cdk.json, or -c {constants.MAIL_CONTEXT}='{{...}}')"
    if value is None:
        raise ValueError(f"{where} is missing: the SES domain and the From address, {{\"domain\": ..., \"from\": ...}}")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise ValueError(f"{where} is not JSON: {error}") from None
    if not isinstance(value, dict) or set(value) != {"domain", "from"}:
        raise ValueError(f"{where} must be exactly {{\"domain\": ..., \"from\": ...}}, got {value!r}")
    domain, sender = value["domain"], value["from"]
    if not isinstance(domain, str) or not _DOMAIN.fullmatch(domain):
        raise ValueError(f"{where}: domain must be a lower-case domain name, got {domain!r}")
    local, at, sender_domain = sender.rpartition("@") if isinstance(sender, str) else ("", "", "")
    in_domain = sender_domain == domain or sender_domain.endswith(f".{domain}")  # the domain or a subdomain
    if not at or not _LOCAL_PART.fullmatch(local) or not in_domain:
        raise ValueError(
            f"{where}: from must be a plain lower-case address in {domain!r} (no display name), got {sender!r}"
        )
    return MailConfig(domain=domain, sender=sender)


class MailIdentity(Construct):
    """shared/functions.py MAIL: the SES identity (setting MAIL_FROM = the From address)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: MailConfig) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        if config.is_placeholder:
            # An info, as the verifier's placeholders: warnings are findings the tests require empty.
            Annotations.of(self).add_info(
                f"context {constants.MAIL_CONTEXT!r} holds placeholders ({config.domain}): the premium workflow cannot "
                "e-mail until the real domain is set and its DKIM records are published (docs/infra.md)",
            )
        self.identity = ses.EmailIdentity(self, "Identity", identity=ses.Identity.domain(config.domain))

    # --- GrantTarget (infra/components/functions.py) ----------------------------------------------------------------

    @property
    def setting_value(self) -> str:
        return self.config.sender

    def grant_access(self, role: iam.IRole, grant: Grant) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(grant.actions),
                resources=[self.identity.email_identity_arn],
                conditions={"StringEquals": {"ses:FromAddress": self.config.sender}},
            )
        )
