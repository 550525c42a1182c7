"""Identity: citizens' Cognito user pool (self sign-up by e-mail) with the mobile app's client, and municipal staff's
own pool (accounts created by administrators, MFA required, organisation and role in the ID token) with the admin web
app's client. Two pools: a citizen token can never pass the admin API's authorizer, nor a staff token the app API's."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from constructs import Construct

from shared.domain.staff import EDITOR, ROLES, VIEWER
from shared.functions import Grant

from .. import constants
from ..nag import acknowledge

_PASSWORD_POLICY = cognito.PasswordPolicy(
    min_length=constants.PASSWORD_MIN_LENGTH,
    require_lowercase=True,
    require_uppercase=True,
    require_digits=True,
    require_symbols=True,
    temp_password_validity=Duration.days(3),
)


class CitizenIdentity(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=constants.CITIZEN_POOL_NAME,
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),  # the e-mail address is the user name
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            keep_original=cognito.KeepOriginalAttrs(email=True),  # a changed address counts only once verified
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            user_verification=cognito.UserVerificationConfig(
                email_style=cognito.VerificationEmailStyle.CODE,
                email_subject=constants.VERIFICATION_EMAIL_SUBJECT,
                email_body=constants.VERIFICATION_EMAIL_BODY,
            ),
            password_policy=_PASSWORD_POLICY,
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.app_client = self.user_pool.add_client(
            "AppClient",
            user_pool_client_name=constants.APP_CLIENT_NAME,
            generate_secret=False,  # a mobile app cannot keep a secret
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),  # refresh-token auth is always on
            disable_o_auth=True,  # the app signs in with the flows above, not the hosted UI
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG2",
            "MFA is optional (TOTP) for citizens: the service is open to every resident including elderly users "
            "without an authenticator app, and sign-up must not need a phone number (no SMS). Staff have MFA "
            "required in their own pool (StaffIdentity).",
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG8",
            "Essentials, not Plus: Plus threat protection is billed per monthly active user with no free tier, a "
            "large cost at national scale, and its adaptive (risk-based) actions need an MFA/recovery design for "
            "citizens that is not decided yet. To be revisited before launch together with WAF findings.",
        )


    @property
    def setting_value(self) -> str:
        return self.user_pool.user_pool_id

    def grant_access(self, role: iam.IRole, grant: Grant) -> None:
        """The grant's actions on this pool only (the account function: AdminDeleteUser for DELETE /me)."""
        role.add_to_principal_policy(iam.PolicyStatement(actions=list(grant.actions), resources=[self.user_pool.user_pool_arn]))


_GROUP_DESCRIPTIONS = {
    EDITOR: "活動の指定・編集、チェックイン用コードの発行、参加記録の入力ができる職員",
    VIEWER: "閲覧のみの職員",
}


class StaffIdentity(Construct):
    """Municipal staff. Accounts are created by an administrator (no self sign-up) with the immutable organisation
    code `custom:lg_code` and put in group `editor` or `viewer`: shared/api/staff.py reads both from the ID token the
    admin API's authorizer validated (the roles: shared/domain/staff.py). MFA (TOTP) is required: staff see and enter residents' records."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=constants.STAFF_POOL_NAME,
            self_sign_up_enabled=False,  # AdminCreateUser only
            user_invitation=cognito.UserInvitationConfig(
                email_subject=constants.STAFF_INVITATION_SUBJECT, email_body=constants.STAFF_INVITATION_BODY
            ),
            sign_in_aliases=cognito.SignInAliases(email=True),  # the e-mail address is the user name
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            keep_original=cognito.KeepOriginalAttrs(email=True),
            user_verification=cognito.UserVerificationConfig(  # a changed address is confirmed by code
                email_style=cognito.VerificationEmailStyle.CODE,
                email_subject=constants.STAFF_VERIFICATION_EMAIL_SUBJECT,
                email_body=constants.STAFF_VERIFICATION_EMAIL_BODY,
            ),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            custom_attributes={
                # Immutable: nobody, the staff member included, can move an account to another organisation; a
                # transfer is a new account.
                constants.STAFF_ORGANISATION_ATTRIBUTE: cognito.StringAttribute(
                    min_len=constants.STAFF_ORGANISATION_CODE_LENGTH,
                    max_len=constants.STAFF_ORGANISATION_CODE_LENGTH,
                    mutable=False,
                )
            },
            password_policy=_PASSWORD_POLICY,
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),  # TOTP app; no SMS cost or SIM swap
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,  # a reset password still needs the TOTP factor
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.groups = {
            role: cognito.CfnUserPoolGroup(
                self,
                f"{role.capitalize()}Group",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=role,
                description=_GROUP_DESCRIPTIONS[role],
                precedence=precedence,
            )
            for precedence, role in enumerate(ROLES)
        }
        self.admin_client = self.user_pool.add_client(
            "AdminClient",
            user_pool_client_name=constants.ADMIN_CLIENT_NAME,
            generate_secret=False,  # a browser app cannot keep a secret
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),  # as the local runtime's staff client
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True)
            .with_custom_attributes(constants.STAFF_ORGANISATION_ATTRIBUTE),
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=constants.STAFF_REFRESH_TOKEN_VALIDITY,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG8",
            "Essentials, not Plus, as for citizens: staff accounts are admin-created, need TOTP MFA on every sign-in "
            "and the admin API only accepts requests from the LGWAN allow-list; Plus (per-MAU threat protection) is "
            "to be decided for both pools before launch.",
        )
