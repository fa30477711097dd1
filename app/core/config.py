from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEVELOPMENT_SECRET = "development-only-secret-key-change-me"


def parse_networks(text: str) -> list[IPv4Network | IPv6Network]:
    """Comma-separated addresses and networks ("10.0.0.5, 192.168.0.0/16, fd00::/8")."""
    return [ip_network(entry.strip(), strict=False) for entry in text.split(",") if entry.strip()]


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
