"""The ``wikipedia`` settings section, validated once with messages a user can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from agentcore.plugin import Options, read_settings_section

SECTION = "wikipedia"
DEFAULT_API_URL = "https://en.wikipedia.org/w/api.php"
DEFAULT_USER_AGENT = "agentcore-wikipedia/0.1 (agentcore ReAct tools; python-wikipedia)"


class WikiSettings(Options):
    """Everything the tools read from ``settings["wikipedia"]`` (all optional)."""

    model_config = ConfigDict(frozen=True)

    mode: Literal["offline", "online"] = Field(
        "offline", description="offline: the local corpus; online: the MediaWiki API."
    )
    corpus: str | None = Field(
        None, description="Offline: a .jsonl/.jsonl.gz corpus instead of the bundled one."
    )
    max_sentences: int = Field(5, ge=1, le=50, description="Sentences search returns.")
    max_chars: int = Field(
        500, ge=40, le=20_000, description="Cap on one search/lookup observation."
    )
    similar: int = Field(5, ge=0, le=20, description="Titles listed after 'Similar:'.")
    best_match: bool = Field(
        True,
        description="When no page has the exact title, show the best-matching page (and "
        "list the next ones); false: only the paper's 'Similar:' titles.",
    )
    rank_by_question: bool = Field(
        False,
        description="Offline: rank a missing title's suggestions by the run's question too "
        "(not better on the first 100 HotpotQA questions; see benchmarks/README.md).",
    )
    api_url: str = Field(DEFAULT_API_URL, description="Online: the MediaWiki api.php URL.")
    timeout_s: float = Field(10.0, gt=0, le=300, description="Online: per-request timeout.")
    cache_size: int = Field(256, ge=0, description="Online: answers kept in memory (LRU).")
    cache_dir: str | None = Field(None, description="Online: also cache answers in this folder.")
    user_agent: str = Field(DEFAULT_USER_AGENT, description="Online: User-Agent header.")

    @field_validator("mode", mode="before")
    @classmethod
    def _lower_mode(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL of a MediaWiki api.php")
        return value


def read_settings(settings: Mapping[str, Any] | None) -> WikiSettings:
    """``WikiSettings`` from a whole settings mapping; :class:`ConfigError` if invalid."""
    return read_settings_section(settings, SECTION, WikiSettings)
