"""One settings object, from environment variables (``BACKPLAN_*``) and an optional TOML file.

The TOML file is ``$BACKPLAN_CONFIG`` if set, else ``backplan.toml`` in
``BACKPLAN_HOME``. Environment variables win over the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_dir
from pydantic import Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from backplan.config.clock import OFFICE_HOURS, Clock
from backplan.config.errors import InvalidSetting

MIN_SECRET_KEY = 32
"""Characters a secret key set by hand needs: one of a few characters can be guessed, and
then forms can be forged (``secrets.token_urlsafe(32)`` gives 43)."""


def _zone(name: str | None) -> tzinfo:
    if not name:
        local = datetime.now().astimezone().tzinfo
        return local if local is not None else UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSetting(
            f"BACKPLAN_TIMEZONE={name!r} is not a time zone; use an IANA name such as "
            "Europe/Paris or America/New_York"
        ) from None


def _default_home() -> Path:
    return Path(os.environ.get("BACKPLAN_HOME") or user_data_dir("backplan", appauthor=False))


class Settings(BaseSettings):
    """Where data lives, which databases hold it, and how the calendar counts working days."""

    model_config = SettingsConfigDict(env_prefix="BACKPLAN_", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="Folder of the embedded stores.")
    country: str | None = Field(
        default=None,
        description="Country code for public holidays (e.g. US, GB, DE); none: Mon–Fri.",
    )
    subdivision: str | None = Field(default=None, description="State or region for holidays.")
    today: str | None = Field(
        default=None,
        description="Pin the clock, for demos and reproducible reports: 2026-12-01 (that whole "
        "day) or 2026-12-01T07:40 (that moment); none: the real date and time.",
    )
    timezone: str | None = Field(
        default=None,
        description="The organisation's time zone (IANA name, e.g. Europe/Paris); none: the "
        "machine's.",
    )
    office_hours: str = Field(
        default=OFFICE_HOURS,
        description="The hours of a working day, e.g. 09:00-17:00: how much of today counts "
        "as worked when pace is measured.",
    )
    funnel: str = Field(default="outbound", description="The funnel used when none is named.")
    currency: str = Field(
        default="$",
        max_length=8,
        description="The symbol written before amounts of money: $, €, £, CHF ...",
    )
    compute_ahead: bool = Field(
        default=True,
        description="Compute the pages already asked for again in the background when the "
        "data change, so the first page after an import finds them ready; off: the first "
        "request after a change computes.",
    )
    events_url: str | None = Field(
        default=None,
        description=(
            "An Ibis connection URL for events kept outside BACKPLAN_HOME, e.g. "
            "pyspark://, snowflake://user@account/db/schema, bigquery://project/dataset, "
            "postgres://user@host/db; none: the embedded Parquet store."
        ),
    )
    events_table: str = Field(
        default="events",
        description=(
            "The table (or view) of events at events_url, with backplan's event columns; "
            "a path or URI ending in .parquet, or a folder ending in /, is read as Parquet."
        ),
    )
    rollup_table: str | None = Field(
        default=None,
        description=(
            "Where `backplan warehouse rollup` keeps the events' daily counts, in the same "
            "engine as events_url; counting reads it while it covers every event. A table "
            "name, a Parquet file (.parquet) or folder (/); none: the events table's name "
            "followed by _daily_counts (set it when the events are Parquet files)."
        ),
    )
    playbook: Path | None = Field(
        default=None,
        description="The organisation's playbook TOML; it overrides and extends the default.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the app database (users, roster, plans, OKRs, import "
        "log); none: a SQLite file backplan.db in BACKPLAN_HOME. PostgreSQL: postgresql+psycopg://...",
    )
    extra_kinds: list[str] = Field(
        default_factory=list,
        description="Event kinds accepted on import besides the standard ones (dial, connect, ...).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs the sign-in form's CSRF token, at least 32 characters; "
        "default: a random key kept in home/secret.key (created on first use, readable by its "
        "owner only).",
    )
    https: bool | None = Field(
        default=None,
        description="Whether users reach the web app over https (Secure, __Host- cookies); "
        "default: decide per request from its scheme (behind a TLS proxy: set it to true).",
    )
    session_idle_minutes: int = Field(
        default=12 * 60, ge=1, description="A web session ends after this long without a request."
    )
    session_max_hours: int = Field(
        default=7 * 24, ge=1, description="A web session ends this long after sign-in, in any case."
    )
    max_failed_sign_ins: int = Field(
        default=100,
        ge=1,
        description="Failed sign-ins for an account (forgotten after an hour without one) "
        "before each further try must wait: 1 s, then twice as long after each failure.",
    )
    sign_in_max_delay_seconds: int = Field(
        default=300,
        ge=1,
        le=3600,
        description="The longest wait between tries for an account past max_failed_sign_ins: "
        "an attacker slows an account down, its owner still signs in after the wait.",
    )
    admin_two_factor: Literal["required", "optional"] = Field(
        default="required",
        description="required: admins sign in with a code from an authenticator app too, and "
        "an admin without one is asked to set it up before any admin page opens; optional: "
        "anyone may set it up on their account page, nobody must.",
    )
    max_upload_mb: int = Field(
        default=100,
        ge=1,
        description="The largest request body the web app accepts, in MB (an upload over it "
        "is answered 413 before it is stored).",
    )
    xlsx_max_rows: int = Field(
        default=1_000_000, ge=1, description="Rows with values read from an .xlsx sheet, at most."
    )
    xlsx_max_columns: int = Field(
        default=1_000, ge=1, description="Columns of an .xlsx sheet's header row, at most."
    )
    xlsx_max_unpacked_mb: int = Field(
        default=256,
        ge=1,
        description="What an .xlsx workbook may unpack to, in MB, checked before unpacking it "
        "(a zip bomb is refused; save big exports as .csv).",
    )
    smtp_host: str | None = Field(
        default=None, description="The mail server that sends the weekly digest; none: no email."
    )
    smtp_port: int = Field(
        default=587, ge=1, le=65535, description="The mail server's port (587 STARTTLS, 465 SSL)."
    )
    smtp_tls: Literal["starttls", "ssl", "none"] = Field(
        default="starttls",
        description="starttls: upgrade the connection (port 587); ssl: TLS from the start "
        "(port 465); none: no encryption (a relay on the same machine only).",
    )
    smtp_username: str | None = Field(default=None, description="Sign in to the mail server as.")
    smtp_password: SecretStr | None = Field(
        default=None, description="The mail server password (never printed)."
    )
    smtp_sender: str | None = Field(
        default=None, description="The digest's From address, e.g. backplan@example.com."
    )
    digest_day: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = Field(default="monday", description="The day the weekly digest goes out.")
    digest_hour: int = Field(
        default=8, ge=0, le=23, description="The hour it goes out, in the organisation's time."
    )
    hubspot_token: SecretStr | None = Field(
        default=None,
        description="The HubSpot private app's access token that backplan sync hubspot uses "
        "(scopes: crm.objects.owners.read, crm.objects.deals.read, and calls and meetings "
        "read; never printed).",
    )
    pipedrive_token: SecretStr | None = Field(
        default=None,
        description="The Pipedrive API token that backplan sync pipedrive uses (never printed).",
    )
    hubspot_url: str | None = Field(
        default=None,
        description="HubSpot's API address for syncs; none: https://api.hubapi.com.",
    )
    pipedrive_url: str | None = Field(
        default=None,
        description="Pipedrive's API address for syncs; none: https://api.pipedrive.com.",
    )
    sync_interval: int = Field(
        default=0,
        ge=0,
        le=7 * 24 * 60,
        description="Minutes between the web app's syncs of each CRM with a token; 0: no "
        "scheduled sync (run backplan sync from cron instead).",
    )
    argon2_time_cost: int = Field(default=3, ge=1, description="Argon2id passes per hash.")
    argon2_memory_kib: int = Field(
        default=64 * 1024, ge=8, description="Argon2id memory per hash, in KiB."
    )

    _clock: Clock = PrivateAttr()

    @model_validator(mode="after")
    def _read_clock(self) -> Settings:
        # Read once, here: a bad BACKPLAN_TODAY stops every command at once, in one line.
        self._clock = Clock(_zone(self.timezone), pinned=self.today, office_hours=self.office_hours)
        return self

    @model_validator(mode="after")
    def _strong_secret_key(self) -> Settings:
        key = self.secret_key.get_secret_value() if self.secret_key is not None else None
        if key is not None and len(key) < MIN_SECRET_KEY:
            raise InvalidSetting(
                f"BACKPLAN_SECRET_KEY has {len(key)} characters; use at least "
                f"{MIN_SECRET_KEY} characters, random ones, made with: "
                'python -c "import secrets; '
                'print(secrets.token_urlsafe(32))" (or unset it: backplan then keeps a '
                "random key in BACKPLAN_HOME/secret.key)"
            )
        return self

    @property
    def clock(self) -> Clock:
        """The organisation's clock: the only source of "today" and "now"."""
        return self._clock

    @property
    def daily_counts_table(self) -> str | None:
        """Where the warehouse's rollup lives: ``rollup_table``, else the events table's name
        with ``_daily_counts`` (same database); None for Parquet events without a setting."""
        if self.rollup_table:
            return self.rollup_table
        if self.events_table.endswith((".parquet", "/")):
            return None
        return f"{self.events_table}_daily_counts"

    @property
    def app_database_url(self) -> str:
        """The app database URL: ``database_url`` or the SQLite file in ``home``."""
        return self.database_url or f"sqlite:///{self.home / 'backplan.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, config_file()))

    def for_demo(self) -> Settings:
        """The same settings with every store in ``home/demo``: the demo never writes into
        the organisation's own database, event store or warehouse.

        Two-factor sign-in is optional in the demo (someone trying it may have no
        authenticator app at hand) unless ``admin_two_factor`` is set explicitly."""
        update: dict[str, Any] = {
            "home": self.home / "demo",
            "database_url": None,
            "events_url": None,
        }
        if "admin_two_factor" not in self.model_fields_set:
            update["admin_two_factor"] = "optional"
        return self.model_copy(update=update)


def config_file() -> Path:
    """The settings file: ``$BACKPLAN_CONFIG``, else ``backplan.toml`` in the home folder."""
    return Path(os.environ.get("BACKPLAN_CONFIG") or _default_home() / "backplan.toml")


def get_settings() -> Settings:
    """Settings as the environment says now: built once by each command or server process
    at its edge and passed down from there."""
    return Settings()


@dataclass(frozen=True)
class Effective:
    """One setting as in force: its value (secrets hidden) and where it came from."""

    name: str
    value: str
    source: str
    description: str


def _without_password(text: str) -> str:
    """A URL's password hidden: ``postgresql://ana:***@db/backplan``."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", text)


def effective(settings: Settings) -> list[Effective]:
    """Every setting's value and its source: the environment, the settings file, or the default."""
    path = config_file()
    in_file: dict[str, Any] = {}
    if path.is_file():
        with path.open("rb") as f:
            in_file = tomllib.load(f)
    found = []
    for name, field in Settings.model_fields.items():
        variable = f"BACKPLAN_{name.upper()}"
        if variable in os.environ:
            source = f"environment ({variable})"
        elif name in in_file:
            source = f"file {path}"
        else:
            source = "default"
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            shown = "(set, hidden)"
        elif value is None or value == []:
            shown = "–"
        else:
            shown = ", ".join(value) if isinstance(value, list) else _without_password(str(value))
        found.append(Effective(name, shown, source, field.description or ""))
    return found
