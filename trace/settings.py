"""One ``Settings`` object, read from the environment (and an optional ``.env``).

Regulatory numbers the domain reference marks as unverified (U) are settings with
their documented defaults, never constants in the rules.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="TRACE_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'trace.db'}",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL. sqlite:///path (embedded default) or postgresql://…",
    )
    timezone: str = Field(default="Asia/Shanghai", description="Local time zone for dates people read")
    data_dir: Path = Field(default=PROJECT_ROOT / "var", description="Keys and generated files")
    checkpoint_key_path: Path | None = Field(
        default=None, description="Ed25519 private key (PEM) that signs checkpoints; default var/checkpoint-ed25519.pem"
    )
    checkpoint_interval_minutes: int = Field(default=10, ge=1)
    scheduler: bool = Field(default=True, description="Run scheduled jobs (checkpoints) inside the app process")

    # Hardening (issue 11): production refuses to start without its secrets, see production_problems().
    environment: Literal["development", "production"] = Field(
        default="development", validation_alias="TRACE_ENV",
        description="production: refuse to start unless every secret is set explicitly")
    secret_key: SecretStr | None = Field(
        default=None, description="Signs sessions and CSRF tokens; in development a random one is kept in data_dir")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1, description="Larger request bodies are refused (413)")

    # GS1 Digital Link and labels (issue 3)
    resolver_base_url: str = Field(default="http://127.0.0.1:8000", description="Scheme+host of the QR resolver")
    gs1_company_prefix: str = Field(default="6970000", description="Company prefix for GTINs the platform assigns")
    cjk_font: Path | None = Field(default=None, description="Path to a CJK font (e.g. NotoSansCJK-Regular.ttc)")

    # Cold chain (domain.md §6: every number U — configurable defaults). A product declares its
    # storage range; these fill in for one that declares none, and set the arrival tolerance.
    chilled_min_celsius: float = Field(default=0.0, description="Chilled storage range, low end (2018 规范 0–8 °C)")
    chilled_max_celsius: float = Field(default=8.0, description="Chilled storage range, high end (2018 规范 0–8 °C)")
    chilled_tolerance_celsius: float = Field(
        default=3.0, ge=0, description="Chilled goods may arrive this far above their range (2018 规范: ≤ 3 °C above)")
    chilled_below_tolerance_celsius: float = Field(
        default=0.0, ge=0, description="Chilled goods may arrive this far below their range (§6 gives no figure: U)")
    frozen_max_celsius: float = Field(default=-18.0, description="Frozen storage, at most (冻品 ≤ −18 °C)")
    frozen_receipt_max_celsius: float = Field(default=-15.0, description="Frozen goods at handover, at most (交接 ≤ −15 °C)")

    # Rapid tests (domain.md §4)
    enzyme_inhibition_positive_percent: float = Field(
        default=50.0, gt=0, le=100, description="Enzyme inhibition at or above this is positive (GB/T 5009.199, §4.1)")
    enzyme_inhibition_warning_percent: float | None = Field(
        default=40.0, gt=0, le=100, description="Negative results at or above this are flagged (§4.1, V2); unset: no band")
    rapid_test_retests: int = Field(
        default=2, ge=1, le=5, description="A positive counts once this many re-tests by the same method agree (§4.1, V2)")
    clenbuterol_positive_below_tc_ratio: float = Field(
        default=1.0, gt=0, description="Colloidal-gold card: T/C line intensity below this is positive (§4.3, V2/U)")
    test_report_max_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="A test's report file (PDF/JPEG/PNG), at most; "
                                                 "a request is also bounded by max_body_bytes")

    # Licences and suppliers (domain.md §2, §8.2: facts marked U)
    filing_number_pattern: str = Field(
        default=r"YB[0-9]{14}",
        description="仅销售预包装食品备案 number (2023 measures; format unverified, §2 U), a full-match regex",
    )
    canteen_licence_other_business_type: Literal["warn", "refuse"] = Field(
        default="warn",
        description="A school canteen's JY licence whose 主体业态 is not 3 (单位食堂): warn for review or refuse "
        "(§8.2 U: older licences may differ)",
    )
    edible_agricultural_categories: tuple[str, ...] = Field(
        default=("蔬菜", "水果", "禽蛋", "水产", "肉类"),
        description="Product categories a seller of edible agricultural products (食用农产品, no licence "
        "needed) may supply; which catalogue categories count is not stated in domain.md",
    )

    # Retained samples (留样, domain.md §3.2 and §8.7: V1 figures, settings so a stricter school rule fits)
    retained_sample_min_grams: Decimal = Field(
        default=Decimal("125"), gt=0, le=10_000, description="A retained sample weighs at least this (§3.2: 125 g)")
    retained_sample_min_hours: int = Field(
        default=48, ge=1, le=24 * 30, description="A retained sample is kept at least this long (§3.2: 48 h)")

    # Actions queued on a phone while offline (issue 12): the device's clock is trusted within these bounds
    device_sync_max_skew_seconds: int = Field(
        default=300, ge=0, le=3600,
        description="A queued action may say it happened at most this far in the future (a phone's clock drifts)")
    device_sync_max_age_hours: int = Field(
        default=72, ge=1, le=24 * 30,
        description="A queued action older than this on arrival is refused and kept for a person to resolve")
    # Corrections of receipts and uses (issue 12; domain.md says nothing: a choice, configurable).
    correction_window_hours: int = Field(
        default=72, ge=1, le=24 * 90,
        description="A receipt or use may be corrected this long after it was first recorded (72 h: a Friday's "
                    "mistake can still be put right on Monday morning; later, the stock no longer says what it did)")

    # Sign-in for people (issue 11): sessions, passwords, repeated failures
    session_idle_minutes: int = Field(default=30, ge=1, description="A web session ends after this long unused")
    session_absolute_hours: int = Field(default=12, ge=1, description="A web session ends this long after sign-in")
    password_min_length: int = Field(default=10, ge=8, le=128, description="Shortest password a person may choose")
    behind_proxy: bool = Field(
        default=False, description="Requests arrive through a reverse proxy: trust its X-Forwarded-Proto and "
        "X-Forwarded-For (never set this when clients reach the app directly)")
    sign_in_window_minutes: int = Field(default=15, ge=1, description="Failed sign-ins count over this window")
    sign_in_account_slow_after: int = Field(
        default=3, ge=1, description="Failures of one account in the window before each further try must wait 2^n s")
    sign_in_account_lock_after: int = Field(default=10, ge=2, description="Failures of one account that lock it")
    sign_in_address_slow_after: int = Field(default=10, ge=1, description="Failures from one client address "
                                            "before each further try must wait")
    sign_in_address_lock_after: int = Field(default=50, ge=2, description="Failures from one client address "
                                            "that lock it")
    sign_in_lock_minutes: int = Field(default=15, ge=1, description="How long a lock-out lasts")

    @property
    def checkpoint_key(self) -> Path:
        return self.checkpoint_key_path or self.data_dir / "checkpoint-ed25519.pem"

    @property
    def production(self) -> bool:
        return self.environment == "production"

    def production_problems(self) -> list[str]:
        """Each setting production cannot run without, said so whoever deploys can fix them all at once."""
        if not self.production:
            return []
        problems = []
        if self.secret_key is None or len(self.secret_key.get_secret_value()) < 32:
            problems.append("TRACE_SECRET_KEY must be set to a random value of at least 32 characters "
                            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        if self.checkpoint_key_path is None:
            problems.append("TRACE_CHECKPOINT_KEY_PATH must name the Ed25519 key that signs checkpoints "
                            "(never generated in production: a new key would orphan every checkpoint signed before)")
        elif not self.checkpoint_key_path.is_file():
            problems.append(f"TRACE_CHECKPOINT_KEY_PATH names {self.checkpoint_key_path}, which does not exist")
        resolver = urlsplit(self.resolver_base_url)
        if resolver.scheme != "https" or resolver.hostname in (None, "127.0.0.1", "localhost", "::1"):
            problems.append(f"TRACE_RESOLVER_BASE_URL is {self.resolver_base_url!r}: every QR label prints it, "
                            "so it must be the platform's public https:// address")
        return problems

    def signing_secret(self) -> str:
        """The secret that signs sessions: TRACE_SECRET_KEY, or in development one generated once and kept
        under data_dir (so sign-ins survive a restart), never a constant anyone could read in the source."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.production:
            raise ProductionNotReady(["TRACE_SECRET_KEY must be set"])
        path = self.data_dir / "secret-key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written whole under a private name, then linked into place: a second process starting
            # at the same moment reads either nothing (and links its own, which loses) or the whole key.
            draft = path.with_name(f".secret-key-{os.getpid()}-{secrets.token_hex(4)}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
            finally:
                draft.unlink()
        return path.read_text().strip()


class ProductionNotReady(RuntimeError):
    """Production mode with settings missing: the app refuses to start and names each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("TRACE_ENV=production, but:\n" + "\n".join(f"  - {p}" for p in problems))


def ensure_production_ready(settings: Settings) -> None:
    if problems := settings.production_problems():
        raise ProductionNotReady(problems)


@lru_cache
def get_settings() -> Settings:
    return Settings()
