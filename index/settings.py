"""One typed settings object, read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every setting qabot reads. `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Index
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", alias="QABOT_CORPUS_DIR")
    index_dir: Path = Field(PROJECT_ROOT / "data" / "index", alias="QABOT_INDEX_DIR")
    chunk_tokens: int = Field(200, ge=32, le=1000, alias="QABOT_CHUNK_TOKENS")
    chunk_overlap: int = Field(40, ge=0, le=500, alias="QABOT_CHUNK_OVERLAP")
    embed_batch: int = Field(16, ge=1, le=256, alias="QABOT_EMBED_BATCH")
    max_file_mb: float = Field(20.0, gt=0, alias="QABOT_MAX_FILE_MB")
    chroma_host: str | None = Field(None, alias="CHROMA_HOST")
    chroma_port: int = Field(8000, alias="CHROMA_PORT")
    chroma_token: SecretStr | None = Field(None, alias="CHROMA_AUTH_TOKEN")
    index_lock_wait: float = Field(10.0, ge=0, alias="QABOT_INDEX_LOCK_WAIT")

    # Answering
    top_k: int = Field(5, ge=1, le=50, alias="QABOT_TOP_K")
    max_question_chars: int = Field(1000, ge=10, alias="QABOT_MAX_QUESTION_CHARS")
    llm_model: str | None = Field(None, alias="QABOT_LLM")
    llm_base_url: str | None = Field(None, alias="QABOT_LLM_BASE_URL")
    llm_api_key: SecretStr | None = Field(None, alias="QABOT_LLM_API_KEY")
    llm_timeout: float = Field(30.0, gt=0, alias="QABOT_LLM_TIMEOUT")
    llm_context_tokens: int = Field(3000, ge=200, alias="QABOT_LLM_CONTEXT_TOKENS")

    # Discord
    discord_token: SecretStr | None = Field(None, alias="DISCORD_TOKEN")
    discord_guild_id: int | None = Field(None, alias="DISCORD_GUILD_ID")
    qa_channel_ids: str = Field("", alias="QA_CHANNEL_IDS")
    admin_role: str | None = Field(None, alias="QABOT_ADMIN_ROLE")
    cooldown_seconds: float = Field(5.0, ge=0, alias="QABOT_COOLDOWN_SECONDS")
    allow_dms: bool = Field(False, alias="QABOT_ALLOW_DMS")
    feedback_db: Path = Field(PROJECT_ROOT / "data" / "feedback.sqlite3", alias="QABOT_FEEDBACK_DB")

    @field_validator("corpus_dir", "index_dir", "feedback_db")
    @classmethod
    def _relative_to_project(cls, path: Path) -> Path:
        """Relative paths in `.env` mean the same folder whatever the working directory."""
        return path if path.is_absolute() else PROJECT_ROOT / path

    @property
    def channel_ids(self) -> set[int]:
        return {int(part) for part in self.qa_channel_ids.replace(",", " ").split() if part.isdigit()}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
