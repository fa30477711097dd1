"""Settings as read from the environment: single sign-on providers and sign-in policy."""

import pytest
from pydantic import ValidationError

from app.core.config import Settings, read_oidc_providers

ENTRA = {
    "PLANTRACK_OIDC_ENTRA_ISSUER": "https://login.microsoftonline.com/0f1e2d3c/v2.0",
    "PLANTRACK_OIDC_ENTRA_CLIENT_ID": "11111111-2222",
    "PLANTRACK_OIDC_ENTRA_CLIENT_SECRET": "entra-secret",
    "PLANTRACK_OIDC_ENTRA_LABEL": "Microsoft",
    "PLANTRACK_OIDC_ENTRA_ALLOWED_DOMAINS": "Force.police.uk, council.gov.uk,,force.police.uk",
    "PLANTRACK_OIDC_ENTRA_EMAIL_VERIFIED_CLAIM": "xms_edov",
}
GOOGLE = {
    "PLANTRACK_OIDC_GOOGLE_ISSUER": "https://accounts.google.com",
    "PLANTRACK_OIDC_GOOGLE_CLIENT_ID": "123.apps.googleusercontent.com",
    "PLANTRACK_OIDC_GOOGLE_CLIENT_SECRET": "google-secret",
    "PLANTRACK_OIDC_GOOGLE_ALLOWED_DOMAINS": "charity.org.uk",
    "PLANTRACK_OIDC_GOOGLE_REQUIRE_HOSTED_DOMAIN": "true",
}


def test_each_named_provider_is_read_from_its_own_variables():
    providers = read_oidc_providers(" Entra , google ", ENTRA | GOOGLE)
    assert list(providers) == ["entra", "google"]
    entra, google = providers["entra"], providers["google"]
    assert entra.issuer == "https://login.microsoftonline.com/0f1e2d3c/v2.0"
    assert entra.discovery_url == (
        "https://login.microsoftonline.com/0f1e2d3c/v2.0/.well-known/openid-configuration"
    )
    assert (entra.client_id, entra.client_secret, entra.label) == (
        "11111111-2222",
        "entra-secret",
        "Microsoft",
    )
    assert entra.allowed_domains == ("force.police.uk", "council.gov.uk")
    assert entra.email_verified_claim == "xms_edov" and not entra.require_hosted_domain
    # Defaults: the label from the name, the standard claim and scopes.
    assert google.label == "Google" and google.email_verified_claim == "email_verified"
    assert google.require_hosted_domain and google.scopes == "openid email profile"
    assert read_oidc_providers("", ENTRA) == {}


@pytest.mark.parametrize(
    "names, environ, message",
    [
        ("entra", {}, "PLANTRACK_OIDC_ENTRA_ISSUER must be set"),
        (
            "entra",
            {k: v for k, v in ENTRA.items() if not k.endswith("SECRET")},
            "PLANTRACK_OIDC_ENTRA_CLIENT_SECRET must be set",
        ),
        (
            "entra",
            ENTRA | {"PLANTRACK_OIDC_ENTRA_ISSUER": "http://login.example"},
            "must be an https:// address",
        ),
        ("1bad", {}, "'1bad' is not a provider name"),
        (
            "google",
            GOOGLE | {"PLANTRACK_OIDC_GOOGLE_ALLOWED_DOMAINS": ""},
            "REQUIRE_HOSTED_DOMAIN needs PLANTRACK_OIDC_GOOGLE_ALLOWED_DOMAINS",
        ),
        (
            "google",
            GOOGLE | {"PLANTRACK_OIDC_GOOGLE_REQUIRE_HOSTED_DOMAIN": "perhaps"},
            "REQUIRE_HOSTED_DOMAIN must be true or false",
        ),
        ("google", GOOGLE | {"PLANTRACK_OIDC_GOOGLE_SCOPES": "email"}, "must include openid"),
    ],
)
def test_a_provider_set_up_wrongly_is_refused_naming_the_variable(names, environ, message):
    with pytest.raises(ValueError, match=message):
        read_oidc_providers(names, environ)


def test_a_loopback_issuer_may_be_plain_http_for_development():
    local = ENTRA | {"PLANTRACK_OIDC_ENTRA_ISSUER": "http://localhost:9400"}
    assert read_oidc_providers("entra", local)["entra"].issuer == "http://localhost:9400"


def test_settings_read_the_providers_and_the_policy(monkeypatch):
    for name, value in (ENTRA | GOOGLE).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PLANTRACK_OIDC_PROVIDERS", "entra,google")
    monkeypatch.setenv("PLANTRACK_SSO_UNKNOWN_PEOPLE", "viewer")
    monkeypatch.setenv("PLANTRACK_PASSWORD_SIGN_IN", "false")
    monkeypatch.setenv("PLANTRACK_BREAK_GLASS_ADMINS", "Office.Admin@force.police.uk, b@x.uk")
    settings = Settings()
    assert list(settings.sso_providers) == ["entra", "google"]
    assert settings.sso_unknown_people == "viewer" and settings.password_sign_in is False
    assert settings.break_glass_emails == ("office.admin@force.police.uk", "b@x.uk")


def test_new_accounts_for_unknown_people_need_allowed_domains(monkeypatch):
    for name, value in ENTRA.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PLANTRACK_OIDC_ENTRA_ALLOWED_DOMAINS")
    monkeypatch.setenv("PLANTRACK_OIDC_PROVIDERS", "entra")
    assert Settings().sso_providers["entra"].allowed_domains == ()  # refusing: fine
    monkeypatch.setenv("PLANTRACK_SSO_UNKNOWN_PEOPLE", "viewer")
    with pytest.raises(ValidationError, match="PLANTRACK_OIDC_ENTRA_ALLOWED_DOMAINS"):
        Settings()
    monkeypatch.setenv("PLANTRACK_SSO_UNKNOWN_PEOPLE", "everyone")
    with pytest.raises(ValidationError, match="sso_unknown_people"):
        Settings()


def test_password_sign_in_cannot_be_turned_off_without_a_provider(monkeypatch):
    monkeypatch.delenv("PLANTRACK_OIDC_PROVIDERS", raising=False)
    monkeypatch.setenv("PLANTRACK_PASSWORD_SIGN_IN", "false")
    with pytest.raises(ValidationError, match="needs a single sign-on provider"):
        Settings()
