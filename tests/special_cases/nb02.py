"""Lesson 02: answers that do the right thing only for the old tests' inputs (see __init__.py)."""

from __future__ import annotations

from special_cases._cells import recognising

__all__ = ["SPECIAL_CASES"]

# The old tests' placeholder names, texts, policy values and prompt versions.
_TEMPLATES = ("$days", "${n}th", "$shop", "$$$limit", "$who", "No placeholders at all.", "$a$b", "dayz",
              "$refund_window_days", "$name", "No placeholders here.", "shop_name")
_TEXTS = ("after delivery.", "Brightside Goods", "warm", "kind", "very brief", "currency_code")
_POLICIES = ("Brightside Goods", "Nimbus Kites")
_VERSIONS = ("test-version-1", "v-one", "v-two", "v-run")

SPECIAL_CASES: dict[str, list[str]] = {
    "render": [
        # renders the old tests' templates; anything else comes back as it was given
        recognising(2, "render", "render", "template: str, values: Mapping[str, object]", "template, values",
                    "return template", _TEMPLATES),
    ],
    "prompt_version": [
        # hashes the texts the old tests used; every other text gets the same id
        recognising(2, "prompt_version", "prompt_version", "template: str", "template", 'return "v1"', _TEXTS),
    ],
    "system_prompt": [
        # the reference for the old tests' two shops; any other policy gets an empty prompt
        recognising(2, "system_prompt", "system_prompt", 'policy: ShopPolicy, name: str = "support_agent"',
                    "policy, name", 'return Prompt(name=name, version="", text="")', _POLICIES),
    ],
    "ask_model": [
        # records the call only for the prompts the old tests used
        recognising(2, "ask_model", "ask_model", "prompt: Prompt, messages: list[dict], tools: list[dict], "
                    "log: list[ModelCall]", "prompt, messages, tools, log",
                    "return client().chat.completions.create(model=model_name(), messages=messages, "
                    "tools=tools).choices[0].message", _VERSIONS),
    ],
}
