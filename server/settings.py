"""Every setting comes from the environment (prefix ROLODEX_), in one typed object."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


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
    graphiql: bool = True
    # Direct calls for simple sync resolvers and plain fields (schema/fast_resolvers.py,
    # schema/execution.py); off is Strawberry's own path, should an upgrade disagree with it.
    fast_resolvers: bool = True

    # Attachments
    attachments_dir: Path = Path("./data/attachments")
    attachments_max_bytes: int = 25 * 1024 * 1024
    storage_backend: str = "local"  # local | s3
    s3_bucket: str = "rolodex-attachments"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"

    # Statements (customerStatement, /export/statement.pdf): more lines in one period is
    # a request to narrow it; the CSV export streams any number.
    statement_max_lines: int = 5000

    log_level: str = "INFO"
    log_json: bool = True


@lru_cache
def get_settings() -> Settings:
    return Settings()
