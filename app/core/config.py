import os
import re
from collections.abc import Mapping
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEVELOPMENT_SECRET = "development-only-secret-key-change-me"


def parse_networks(text: str) -> list[IPv4Network | IPv6Network]:
    """Comma-separated addresses and networks ("10.0.0.5, 192.168.0.0/16, fd00::/8")."""
    return [ip_network(entry.strip(), strict=False) for entry in text.split(",") if entry.strip()]


def parse_list(text: str) -> tuple[str, ...]:
    """Comma-separated words, trimmed and lower-cased, blanks dropped, each once."""
    seen: dict[str, None] = {}
    for entry in text.split(","):
        if entry.strip():
            seen[entry.strip().lower()] = None
    return tuple(seen)


_PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


class OidcProvider(BaseModel):
    """One OpenID Connect identity provider, read from PLANTRACK_OIDC_<NAME>_* variables."""

    model_config = ConfigDict(frozen=True)

    name: str  # in addresses: /sign-in/oidc/<name>
    issuer: str
    client_id: str
    client_secret: str
    label: str  # "Sign in with <label>"
    # E-mail domains that may sign in through this provider; empty: any (existing accounts only).
    allowed_domains: tuple[str, ...] = ()
    # The claim that says the provider has verified the e-mail address. Entra ID sends
    # "xms_edov" (an optional claim) rather than the standard "email_verified".
    email_verified_claim: str = "email_verified"
    # Google Workspace: the "hd" (hosted domain) claim must be one of allowed_domains, so a
    # personal Google account that happens to use a work address is refused.
    require_hosted_domain: bool = False
    scopes: str = "openid email profile"

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def read_oidc_providers(names: str, environ: Mapping[str, str]) -> dict[str, "OidcProvider"]:
    """The providers named in PLANTRACK_OIDC_PROVIDERS ("entra,google"), each from its own
    PLANTRACK_OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _LABEL and optional
    _ALLOWED_DOMAINS, _EMAIL_VERIFIED_CLAIM, _REQUIRE_HOSTED_DOMAIN, _SCOPES. ValueError names
    the variable that is missing or wrong."""
    providers: dict[str, OidcProvider] = {}
    for name in parse_list(names):
        if not _PROVIDER_NAME.match(name):
            raise ValueError(
                f"PLANTRACK_OIDC_PROVIDERS: '{name}' is not a provider name (a letter, then "
                "letters, digits or _, at most 30)"
            )
        prefix = f"PLANTRACK_OIDC_{name.upper()}_"

        def value(key: str, default: str | None = None, *, prefix: str = prefix) -> str:
            found = environ.get(prefix + key, "").strip()
            if found:
                return found
            if default is None:
                raise ValueError(f"{prefix}{key} must be set (PLANTRACK_OIDC_PROVIDERS names it)")
            return default

        issuer = value("ISSUER")
        if not issuer.startswith("https://") and not re.match(
            r"^http://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(/|$)", issuer
        ):
            raise ValueError(f"{prefix}ISSUER must be an https:// address")
        require_hd = value("REQUIRE_HOSTED_DOMAIN", "false").lower()
        if require_hd not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"{prefix}REQUIRE_HOSTED_DOMAIN must be true or false")
        provider = OidcProvider(
            name=name,
            issuer=issuer,
            client_id=value("CLIENT_ID"),
            client_secret=value("CLIENT_SECRET"),
            label=value("LABEL", name.capitalize()),
            allowed_domains=parse_list(value("ALLOWED_DOMAINS", "")),
            email_verified_claim=value("EMAIL_VERIFIED_CLAIM", "email_verified"),
            require_hosted_domain=require_hd in ("true", "1", "yes"),
            scopes=value("SCOPES", "openid email profile"),
        )
        if "openid" not in provider.scopes.split():
            raise ValueError(f"{prefix}SCOPES must include openid")
        if provider.require_hosted_domain and not provider.allowed_domains:
            raise ValueError(f"{prefix}REQUIRE_HOSTED_DOMAIN needs {prefix}ALLOWED_DOMAINS")
        providers[name] = provider
    return providers


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLANTRACK_", extra="ignore")

    environment: str = "development"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'plantrack.db'}"
    secret_key: str = DEVELOPMENT_SECRET
    sqlite_busy_timeout_ms: int = 5000
    # Days of silence after which an owner's update counts as stale.
    stale_after_days: int = 90
    update_deadline_working_days: int = 10
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "plantrack@plantrack.example"
    # Where the accessibility statement (/accessibility) asks people to report a problem or ask
    # for information in another format.
    accessibility_contact: str = "accessibility@plantrack.example"
    base_url: str = "http://127.0.0.1:8000"
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # None: Secure cookies everywhere but development (served over plain http on a laptop).
    cookie_secure: bool | None = None
    # Failed sign-ins (and wrong current passwords) are forgotten after the window. After the
    # allowed number for one account from one address, or for one address in all, each further
    # attempt from there waits: the first wait, doubled for each failure since, at most the
    # window. Nothing locks an account: failures from one address never slow another.
    sign_in_window_minutes: int = 15
    sign_in_failures_per_account_and_address: int = 5
    sign_in_failures_per_address: int = 20
    sign_in_first_wait_seconds: int = 60
    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed. None
    # by default: the client is whoever connected, and X-Forwarded-For is ignored.
    trusted_proxies: str = ""
    # Single sign-on (OpenID Connect): the providers' names, each configured by its own
    # PLANTRACK_OIDC_<NAME>_* variables (see read_oidc_providers and the README).
    oidc_providers: str = ""
    # Someone who signs in through a provider with no plantrack account: refused, or given a
    # new account with the viewer role (only for providers with allowed domains).
    sso_unknown_people: Literal["refuse", "viewer"] = "refuse"
    # False: only the break-glass admins (e-mails, comma-separated) may sign in with a password.
    password_sign_in: bool = True
    break_glass_admins: str = ""
    # Report files (PDF and Word) are made by workers (app/jobs.py): a worker holds a job for
    # the lease, renewed while it works; a job whose worker died is taken again once it lapses.
    job_lease_seconds: float = 60.0
    worker_poll_seconds: float = 0.5
    # Whether `plantrack serve` starts a worker process of its own (false: run `plantrack
    # worker` separately).
    serve_worker: bool = True
    _providers: dict[str, OidcProvider] = PrivateAttr(default_factory=dict)

    @property
    def sso_providers(self) -> dict[str, OidcProvider]:
        return self._providers

    @property
    def break_glass_emails(self) -> tuple[str, ...]:
        return parse_list(self.break_glass_admins)

    @model_validator(mode="after")
    def read_sso_providers(self) -> "Settings":
        self._providers = read_oidc_providers(self.oidc_providers, os.environ)
        if self.sso_unknown_people == "viewer":
            for provider in self._providers.values():
                if not provider.allowed_domains:
                    raise ValueError(
                        "PLANTRACK_SSO_UNKNOWN_PEOPLE=viewer gives anyone the provider "
                        f"vouches for an account: set PLANTRACK_OIDC_{provider.name.upper()}"
                        "_ALLOWED_DOMAINS to the organisations' e-mail domains"
                    )
        if not self.password_sign_in and not self._providers:
            raise ValueError(
                "PLANTRACK_PASSWORD_SIGN_IN=false needs a single sign-on provider "
                "(PLANTRACK_OIDC_PROVIDERS): otherwise only the break-glass admins could sign in"
            )
        return self

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.environment != "development"

    @property
    def trusted_proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        return parse_networks(self.trusted_proxies)

    @model_validator(mode="after")
    def refuse_unreadable_trusted_proxies(self) -> "Settings":
        try:
            parse_networks(self.trusted_proxies)
        except ValueError as error:
            raise ValueError(f"PLANTRACK_TRUSTED_PROXIES: {error}") from None
        return self

    @model_validator(mode="after")
    def refuse_default_secret_outside_development(self) -> "Settings":
        if self.environment != "development" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError(
                "PLANTRACK_SECRET_KEY must be set to a secret value outside development"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
