"""Where the course's model calls go, read from the environment.

| variable | meaning |
| --- | --- |
| `COURSE_MODEL` | model name on a real endpoint, e.g. `gpt-4o-mini` or `llama3.2`; unset means the fake |
| `OPENAI_API_KEY` | key for the real endpoint (not needed for local servers such as Ollama) |
| `OPENAI_BASE_URL` | OpenAI-compatible endpoint, e.g. `http://localhost:11434/v1` for Ollama |
| `COURSE_OFFLINE` | `1` forbids real calls whatever else is set (on in tests and grading) |

A real endpoint is used only when `COURSE_MODEL` is set, so a learner with an OpenAI key in
their shell still runs the notebooks on the free, deterministic fake unless they opt in.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping

from pydantic import BaseModel

__all__ = ["ConfigError", "Settings", "offline_environment", "read_settings", "real_model_configured"]

FAKE_MODEL_NAME = "course-fake"
REAL_MODEL_VARIABLES = ("COURSE_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID")


@contextlib.contextmanager
def offline_environment() -> Iterator[None]:
    """Inside the block, this process and every kernel or worker it starts see COURSE_OFFLINE=1 and no
    real-model settings: what tests and grading run under, so no grade depends on a model that changed."""
    saved = {name: os.environ.get(name) for name in ("COURSE_OFFLINE", *REAL_MODEL_VARIABLES)}
    os.environ["COURSE_OFFLINE"] = "1"
    for name in REAL_MODEL_VARIABLES:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class ConfigError(ValueError):
    """The model settings in the environment are inconsistent; the message says how to fix them."""


class Settings(BaseModel):
    model: str | None = None
    api_key: str | None = None
    base_url: str | None = None
    offline: bool = False

    @property
    def wants_real(self) -> bool:
        return self.model is not None

    @property
    def uses_real(self) -> bool:
        return self.wants_real and not self.offline

    def describe(self) -> str:
        if not self.wants_real:
            return "the built-in fake model (set COURSE_MODEL to use a real endpoint)"
        where = self.base_url or "https://api.openai.com/v1"
        if self.offline:
            return f"the built-in fake model (COURSE_OFFLINE=1 forbids calls to {self.model} at {where})"
        return f"{self.model} at {where}"


def read_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    offline_raw = env.get("COURSE_OFFLINE", "").strip().lower()
    if offline_raw not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ConfigError(f"COURSE_OFFLINE must be 1 or 0, got {offline_raw!r}.")
    settings = Settings(
        model=env.get("COURSE_MODEL") or None,
        api_key=env.get("OPENAI_API_KEY") or None,
        base_url=env.get("OPENAI_BASE_URL") or None,
        offline=offline_raw in ("1", "true", "yes"),
    )
    if settings.base_url and not settings.base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"OPENAI_BASE_URL must start with http:// or https://, got {settings.base_url!r}. "
            "For Ollama use http://localhost:11434/v1."
        )
    if settings.uses_real and not settings.api_key and not settings.base_url:
        raise ConfigError(
            f"COURSE_MODEL={settings.model} asks for a real model, but neither OPENAI_API_KEY nor "
            "OPENAI_BASE_URL is set. Set OPENAI_API_KEY for OpenAI, OPENAI_BASE_URL for a local server, "
            "or unset COURSE_MODEL to use the built-in fake model."
        )
    return settings


def real_model_configured() -> bool:
    """True when `client()` talks to a real endpoint: the notebooks' "try it on a real model" cells ask this."""
    try:
        return read_settings().uses_real
    except ConfigError:
        return False
