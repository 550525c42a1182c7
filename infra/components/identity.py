"""Citizens' identity: a Cognito user pool with self sign-up by e-mail, and the mobile app's client. (Municipal
staff get their own pool with the admin API; it is not built yet.)"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, aws_cognito as cognito
from constructs import Construct

from .. import constants
from ..nag import acknowledge


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
            password_policy=cognito.PasswordPolicy(
                min_length=constants.PASSWORD_MIN_LENGTH,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
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
            "without an authenticator app, and sign-up must not need a phone number (no SMS). Staff get MFA required "
            "in their own pool.",
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG8",
            "Essentials, not Plus: Plus threat protection is billed per monthly active user with no free tier, a "
            "large cost at national scale, and its adaptive (risk-based) actions need an MFA/recovery design for "
            "citizens that is not decided yet. To be revisited before launch together with WAF findings.",
        )
