"""Platform settings, read from the environment (prefix ``CARENFORCE_``) and ``.env``."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARENFORCE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'carenforce.db'}",
        description="SQLAlchemy URL; SQLite by default, PostgreSQL (postgresql+psycopg://...) at scale.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Asia/Shanghai"

    token_ttl_hours: int = 12
    password_hash_profile: Literal["rfc9106_low_memory", "cheapest"] = "rfc9106_low_memory"
    run_scheduler: bool = True

    # Outside services: each defaults to the built-in simulator served by the platform itself.
    sms_gateway_url: str = ""  # empty: http://<host>:<port>/sim/sms
    sms_gateway_key: str = "sim-sms-key"

    notification_max_attempts: int = 8
    notification_backoff_s: float = 15.0
    http_timeout_s: float = 10.0

    watch_reminder_days: tuple[int, ...] = (30, 7, 1)

    # Evidence files (plate-read images, capture photos), content-addressed; never database rows.
    evidence_dir: Path = PROJECT_ROOT / "var" / "evidence"

    # A CJK font (TTF, OTF or a TTC's first face) embedded in PDF reports; None: look in the usual
    # system places (Debian: fonts-wqy-microhei). Without one a report PDF is refused, never garbled.
    report_font_path: Path | None = None

    @property
    def sms_url(self) -> str:
        return self.sms_gateway_url or f"{self.public_base_url}/sim/sms"


@lru_cache
def get_settings() -> Settings:
    return Settings()
