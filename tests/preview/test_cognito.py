"""The emulated Cognito mails codes to the outbox, checks them, and checks SRP passwords, as Cognito does."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from devportal_constructs.preview import Preview
from devportal_constructs.preview.testing import latest_code, sign_in

PASSWORD = "Correct-Horse-Battery-9"


def sign_up(preview: Preview) -> str:
    email = f"dev-{uuid.uuid4().hex[:8]}@example.com"
    preview.aws("cognito-idp").sign_up(
        ClientId=preview.user_pool_client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    return email


def test_sign_up_mails_a_code_that_confirms_the_account(preview: Preview) -> None:
    # Given someone who signed up
    email = sign_up(preview)
    # When they confirm with the code from the outbox
    code = latest_code(preview.url, email)
    cognito = preview.aws("cognito-idp")
    cognito.confirm_sign_up(ClientId=preview.user_pool_client_id, Username=email, ConfirmationCode=code)
    # Then the account is confirmed, the email verified, and they can sign in with SRP
    user = cognito.admin_get_user(UserPoolId=preview.user_pool_id, Username=email)
    attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
    assert user["UserStatus"] == "CONFIRMED"
    assert attributes["email_verified"] == "true"
    tokens = sign_in(
        cognito, pool_id=preview.user_pool_id, client_id=preview.user_pool_client_id, email=email, password=PASSWORD
    )
    assert tokens["IdToken"]


def test_fails_when_the_confirmation_code_is_wrong(preview: Preview) -> None:
    email = sign_up(preview)
    wrong = "000000" if latest_code(preview.url, email) != "000000" else "111111"
    with pytest.raises(ClientError, match="CodeMismatchException"):
        preview.aws("cognito-idp").confirm_sign_up(
            ClientId=preview.user_pool_client_id, Username=email, ConfirmationCode=wrong
        )


def test_fails_when_the_srp_password_is_wrong(preview: Preview) -> None:
    # moto alone accepts any SRP claim; the preview checks it against the password
    with pytest.raises(ClientError, match="Incorrect username or password"):
        sign_in(
            preview.aws("cognito-idp"),
            pool_id=preview.user_pool_id,
            client_id=preview.user_pool_client_id,
            email=preview.admin_email,
            password="Not-The-Password-1",
        )


def test_fails_when_a_flow_the_client_does_not_allow_is_used(preview: Preview) -> None:
    # The portal's client allows SRP and refresh only
    with pytest.raises(ClientError, match="USER_PASSWORD_AUTH flow not enabled for this client"):
        preview.aws("cognito-idp").initiate_auth(
            ClientId=preview.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": preview.admin_email, "PASSWORD": preview.admin_password},
        )


def test_forgotten_passwords_are_reset_with_the_mailed_code(preview: Preview) -> None:
    # Given a confirmed user who forgot their password
    email = sign_up(preview)
    cognito = preview.aws("cognito-idp")
    cognito.confirm_sign_up(
        ClientId=preview.user_pool_client_id, Username=email, ConfirmationCode=latest_code(preview.url, email)
    )
    cognito.forgot_password(ClientId=preview.user_pool_client_id, Username=email)
    # When they set a new one with the code from the outbox
    cognito.confirm_forgot_password(
        ClientId=preview.user_pool_client_id,
        Username=email,
        ConfirmationCode=latest_code(preview.url, email),
        Password="Another-Horse-Battery-8",
    )
    # Then the new password signs them in
    assert sign_in(
        cognito,
        pool_id=preview.user_pool_id,
        client_id=preview.user_pool_client_id,
        email=email,
        password="Another-Horse-Battery-8",
    )["AccessToken"]
