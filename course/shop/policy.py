"""The shop's policy: the numbers a support agent must never get wrong, in one file.

`policy.json`, shipped next to this module, is the single source of truth. The refund rules in
`rules.py` read it, and the "own your prompts" lesson renders its numbers into the system prompt,
so the prompt and the code cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["POLICY_FILE", "ShopPolicy"]

POLICY_FILE = Path(__file__).with_name("policy.json")


class ShopPolicy(BaseModel):
    """Refund and support rules. Money in dollars (the tool API's unit); the database stores cents."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shop_name: str = Field(description="The shop's name, as the customer knows it.")
    support_email: str = Field(description="Where customers write to.")
    currency: str = Field(default="USD", description="ISO 4217 code of every amount.")
    refund_window_days: int = Field(default=30, gt=0, description="Refunds are possible up to this many days after delivery.")
    approval_limit: float = Field(default=100.0, gt=0, description="Refunds above this amount need a human's approval.")
    refund_days_to_appear: str = Field(default="5-10 business days", description="How long a refund takes to reach the customer.")

    @classmethod
    def load(cls, path: str | Path = POLICY_FILE) -> ShopPolicy:
        """Read a policy file (by default the one shipped with the course)."""
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))

    def needs_approval(self, amount: float) -> bool:
        """Whether refunding `amount` dollars needs a human's approval (strictly above the limit)."""
        return round(amount, 2) > self.approval_limit
