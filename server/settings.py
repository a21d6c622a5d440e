"""Every setting comes from the environment (prefix ROLODEX_), in one typed object."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROLODEX_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./rolodex.db"
    # SQL echo and pool tuning are rarely needed; keep them out of the way.
    database_echo: bool = False
    database_pool_size: int = 10

    # Auth
    token_ttl_hours: int = 24 * 30
    # GraphQL limits (security extensions)
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_page_size: int = 250
    default_page_size: int = 50
    introspection: bool = True
    # Query cost (schema/cost.py) and the buckets each token and company draw on
    # (server/limits). docs/limits.md gives the costs of the usual operations.
    max_query_cost: int = 50_000
    rate_limit_points: int = 100_000
    rate_limit_restore_per_second: float = 5_000.0
    company_rate_limit_points: int = 300_000
    company_rate_limit_restore_per_second: float = 15_000.0
    # Buckets live in Redis when set (shared by every worker), else in each process.
    redis_url: str | None = None
    redis_key_prefix: str = "rolodex:"
    # Sign-in: failed attempts allowed per e-mail and per client address in a window.
    login_attempts_per_email: int = 10
    login_attempts_per_address: int = 100
    login_attempts_window_seconds: float = 900.0
    # Bodies and time
    max_body_bytes: int = 1024 * 1024
    body_timeout_seconds: float = 10.0
    request_timeout_seconds: float = 30.0
    # PostgreSQL `statement_timeout` of the app's connections (0: none).
    statement_timeout_ms: int = 20_000
    # A connection that has not sent a whole request head in this time is closed.
    header_timeout_seconds: float = 5.0
    graphiql: bool = True
    # Queries seen before run by their plan (schema/planner.py); off (0) is graphql-core's
    # and Strawberry's own path for every request, should an upgrade disagree with it.
    planned_execution: bool = True

    # Attachments
    attachments_dir: Path = Path("./data/attachments")
    attachments_max_bytes: int = 25 * 1024 * 1024
    storage_backend: str = "local"  # local | s3
    s3_bucket: str = "rolodex-attachments"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"

    # Imports (customersImport, docs/data-in.md): the largest CSV file accepted.
    import_max_bytes: int = 100 * 1024 * 1024

    # Statements (customerStatement, /export/statement.pdf): more lines in one period is
    # a request to narrow it; the CSV export streams any number.
    statement_max_lines: int = 5000

    log_level: str = "INFO"
    log_json: bool = True

    # HTTP transport (docs/graphiql-and-http.md)
    # redis_url (above) is shared by every worker: persisted queries live there too.
    # A directory of .graphql files: when set, only those documents run.
    trusted_documents: Path | None = None
    # Automatic persisted queries kept in each process, and in Redis since last use.
    apq_cache_bytes: int = 16 * 1024 * 1024
    apq_ttl_seconds: int = 24 * 60 * 60
    # Origins whose pages may call the API from a browser (comma-separated).
    cors_origins: Annotated[list[str], NoDecode] = []

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
