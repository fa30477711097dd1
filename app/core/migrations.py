"""Alembic's configuration for this project: the only way the schema is made."""

from alembic.config import Config

from app.core.config import PROJECT_ROOT


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config
