"""The course's prompt templates: one file per prompt, version-controlled next to the code.

Templates use `string.Template` placeholders (`$approval_limit`); lesson 02 renders them with
values from the shop's policy, so the numbers in a prompt can never drift from the code.
"""

from pathlib import Path

__all__ = ["PROMPTS_DIR", "read_template"]

PROMPTS_DIR = Path(__file__).parent


def read_template(name: str) -> str:
    """The text of `name.md`; a clear error names the templates that exist."""
    path = PROMPTS_DIR / f"{name}.md"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROMPTS_DIR.glob("*.md")))
        raise FileNotFoundError(f"No prompt template {name!r} in {PROMPTS_DIR}. Templates: {known}.")
    return path.read_text(encoding="utf-8")
