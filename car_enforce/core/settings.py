"""Platform settings, read from the environment (prefix ``CARENFORCE_``) and ``.env``."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


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
    # "system": the real time (production). "shared": the movable clock kept in the database, which every
    # process of the platform reads, so a simulation can move time for the API and the scheduler at once.
    clock: Literal["system", "shared"] = "system"

    # Logs: one JSON object a line (for a log collector), or text for a person at a terminal. Either way
    # names, ID numbers and phone numbers are masked (core/logs.py).
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # GET /metrics: with a token set, a scraper must send it as "Authorization: Bearer <token>"; empty,
    # anyone who reaches the port may read it (a development machine, or a port only the monitoring
    # network reaches). The metrics carry nothing personal, but they show the platform's activity.
    metrics_token: str = ""

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    token_ttl_hours: int = 12
    password_hash_profile: Literal["rfc9106_low_memory", "cheapest"] = "rfc9106_low_memory"
    run_scheduler: bool = True
    # Whether `serve` takes plate reads (loads the watch index at start; see /readyz). False for a
    # process that a load balancer sends no reads: it saves the index's memory and start-up time.
    takes_reads: bool = True

    # Outside services: each defaults to the built-in simulator served by the platform itself.
    sms_gateway_url: str = ""  # empty: http://<host>:<port>/sim/sms
    sms_gateway_key: str = "sim-sms-key"

    # The price-inquiry platforms (their addresses and secrets are configuration rows, not settings): how
    # long a platform may keep one request waiting, and how many tries a request gets before the platform
    # is left out of that inquiry. A hanging platform delays only its own request (each has its thread).
    inquiry_timeout_s: float = 10.0
    inquiry_attempts: int = Field(default=3, ge=1, le=10)
    # The built-in simulated inquiry platforms (/sim/inquiry/<code>): their shared secrets are derived from
    # this text, and their controls (modes, release) take this key. Development values, like the SMS key:
    # a deployment with real platforms turns the simulators off (CARENFORCE_INQUIRY_SIMULATORS=false), since
    # anyone who knows these public defaults could drive them.
    inquiry_simulators: bool = True
    inquiry_sim_secret: str = "carenforce-demo-inquiry-platforms"
    inquiry_sim_control_key: str = "sim-inquiry-key"

    # The payment gateway: deposits into the escrow, refunds, transfers to a court's account, payouts.
    # Empty URL: the built-in simulator at http://<host>:<port>/sim/payments (on with payment_simulator;
    # a deployment with a real gateway turns it off, since these development keys are public). Its
    # signed notifications go to payment_notify_url (empty: the platform's own receiver).
    payment_gateway_url: str = ""
    payment_gateway_key: str = "sim-payments-key"
    payment_webhook_secret: str = "whsec_Y2FyZW5mb3JjZS1kZW1vLXBheW1lbnQtd2ViaG9va3Mh"
    payment_notify_url: str = ""
    payment_attempts: int = Field(default=3, ge=1, le=10)
    payment_simulator: bool = True
    # How the simulator delivers its notifications: tries of each, and the first wait (doubling).
    payment_sim_webhook_attempts: int = Field(default=4, ge=1, le=10)
    payment_sim_webhook_backoff_s: float = Field(default=1.0, ge=0, le=60)
    # The vehicle registry (车管所): court seizures, their release, and transfers after a court sale. Empty
    # URL: the built-in simulator at http://<host>:<port>/sim/registry (on with registry_simulator; a
    # deployment with the real registry's interface turns it off, since these development keys are public).
    # Its signed callbacks go to registry_notify_url (empty: the platform's own receiver).
    registry_url: str = ""
    registry_key: str = "sim-registry-key"
    registry_webhook_secret: str = "whsec_Y2FyZW5mb3JjZS1kZW1vLXJlZ2lzdHJ5LWNhbGxiYWNrcyE="
    registry_notify_url: str = ""
    registry_attempts: int = Field(default=3, ge=1, le=10)
    registry_simulator: bool = True
    # Whether a court sale's buyer may transfer a car whose traffic violations are not cleared (登记规定
    # Art. 25 asks them cleared first). Unconfirmed: registries decide it locally; the default refuses.
    registry_court_sale_exempts_violations: bool = False
    # How long the simulated registry takes over a transfer, in working time (登记规定 Art. 26: within one
    # working day of acceptance, Art. 92); whatever the setting, never past the end of the next working day.
    # The two hours are unconfirmed: Zhuji reports transfers done the same day, no registry publishes a time.
    registry_transfer_processing_minutes: int = Field(default=120, ge=0, le=24 * 60)
    # 登记规定 Art. 26 has the registry determine a new plate number at a transfer; some registries let a
    # car transferred within their area keep it. Unconfirmed: a setting, default a new plate.
    registry_transfer_keeps_plate: bool = False
    # The outside auction platforms (淘宝司法拍卖, 京东拍卖 …) a round may run on: their addresses, keys and
    # webhook secrets are configuration rows (auction_platform); how long one call may wait, and its tries.
    auction_platform_timeout_s: float = 10.0
    auction_platform_attempts: int = Field(default=2, ge=1, le=10)
    # The built-in simulated auction platform (/sim/auction/<code>), seeded by the demo as a platform the
    # courts may choose. Development values, like the inquiry simulators': off where real platforms are used.
    auction_simulators: bool = True
    auction_sim_code: str = "sim-jd"
    auction_sim_name: str = "模拟司法拍卖平台"
    auction_sim_secret: str = "carenforce-demo-auction-platform"
    auction_sim_control_key: str = "sim-auction-key"

    notification_max_attempts: int = 8
    notification_backoff_s: float = 15.0
    # Calls to outside services: how long to wait for a connection, and for each read or write after it.
    http_connect_timeout_s: float = 5.0
    http_timeout_s: float = 10.0

    watch_reminder_days: tuple[int, ...] = (30, 7, 1)

    # Request bodies past these sizes are refused (413) before anything reads or parses them. The
    # default holds the largest document the API accepts elsewhere: twelve 5 MiB photos are 80 MiB of
    # base64 (a capture report, an intake, an inspection), and a multipart part may hold 20 MiB.
    max_body_bytes: int = Field(default=96 * 1024 * 1024, ge=1024)
    # The camera feeds (/api/police/ but the capture report, /VIID/): a 5,000-read batch is ~2 MiB, and
    # ~37 MiB with every field at its longest in \u escapes; a GA/T 1400 push of 100 records with a
    # 100 KB image each is ~13 MiB (~26 MiB with a second image per record).
    max_feed_body_bytes: int = Field(default=48 * 1024 * 1024, ge=1024)

    # Evidence files (plate-read images, capture photos), content-addressed; never database rows.
    evidence_dir: Path = PROJECT_ROOT / "var" / "evidence"

    # A CJK font (TTF, OTF or a TTC's first face) embedded in PDF reports; None: look in the usual
    # system places (Debian: fonts-wqy-microhei). Without one a report PDF is refused, never garbled.
    report_font_path: Path | None = None

    # The HMAC key of GA/T 1400 Digest nonces (a nonce is its issue time and this key's MAC, so any worker
    # checks a nonce another issued). The default only suits a single development machine: production
    # sets CARENFORCE_VIID_NONCE_SECRET to a long random value shared by all its workers.
    viid_nonce_secret: str = "carenforce-development-viid-nonce-secret"

    @property
    def sms_url(self) -> str:
        return self.sms_gateway_url or f"{self.public_base_url}/sim/sms"

    @property
    def payments_url(self) -> str:
        return self.payment_gateway_url or f"{self.public_base_url.rstrip('/')}/sim/payments"

    @property
    def payments_notify_url(self) -> str:
        return self.payment_notify_url or f"{self.public_base_url.rstrip('/')}/api/payments/notifications"

    @property
    def registry_api_url(self) -> str:
        return self.registry_url or f"{self.public_base_url.rstrip('/')}/sim/registry"

    @property
    def registry_callback_url(self) -> str:
        return self.registry_notify_url or f"{self.public_base_url.rstrip('/')}/api/registry/notifications"


@lru_cache
def get_settings() -> Settings:
    return Settings()
