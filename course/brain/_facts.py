"""Reading a conversation the way the shop brain does: tolerant regexes over one string of text.

The brain cannot rely on message structure, because lesson 03 replaces the chat-message list with
one compact user message (XML-ish tags, YAML-ish `key: value` lines or JSON). So the text is cut
into *blocks*: a block starts where a tool name (`get_order`, `<get_order>`, `"tool": "get_order"`,
`get_order_result` ...) is mentioned and runs to the next mention of a different tool. Whatever
precedes the first block is the ticket. Inside a block, `key: value`, `"key": value`, `key=value`
and `<key>value` all read the same, and when a key repeats the latest value wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

__all__ = ["Block", "Conversation", "Customer", "Item", "addresses", "amounts", "category",
           "mentioned_item", "number", "order_refs", "read", "rule_sentence", "text_value", "truth"]

ORDER_TOOLS = ("get_order", "check_refund_policy", "issue_refund", "track_shipment")
_SUCCESS_KEY = {
    "lookup_customer": "customer_id",
    "get_order": "placed_on",
    "check_refund_policy": "eligible",
    "issue_refund": "refund_id",
    "send_message": "message_id",
    "track_shipment": "tracking_number",
    "update_address": "customer_id",
}
_I = re.IGNORECASE
_ERROR = re.compile(
    r"\berrors?\b(?![\"']?\s*[:=]\s*(?:null|none|false|\"\"|''|\[\]|\{\}))|\bfail(?:ed|ure|s)?\b|\bunavailable\b"
    r"|\btimed?[ _-]?out\b|\bexception\b|\binvalid\b|\bnot valid\b|\brejected\b|NotFound|\bnot found\b"
    r"|\bno order\b|\bno customer\b|does not exist|doesn't exist", _I)
_NOT_FOUND = re.compile(r"\bno order\b|\bno customer\b|\bnot found\b|NotFound|does not exist|doesn't exist"
                        r"|no such order|unknown order", _I)
_REJECTED = re.compile(r"RefundRejected|only possible within|left to refund|was cancelled|fully refunded"
                       r"|must be more than", _I)
_ORDER_REF = re.compile(r"(?:(?<![A-Za-z])order(?:[ _-]?(?:id|number|no\.?|num))?[\"']?\s*(?:[:=]|is)?\s*#?\s*|#\s?)"
                        r"(\d{3,6})\b", _I)
_MONEY = re.compile(r"\$\s?(\d{1,6}(?:,\d{3})*(?:\.\d{1,2})?)|\b(\d{1,6}(?:\.\d{1,2})?)\s?(?:dollars|usd)\b", _I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_REFUND_WORDS = re.compile(r"refund|money back|reimburse|broken|damaged|crack|chipped|shatter|missing|defective"
                           r"|\breturn\b|in pieces", _I)
_ACCOUNT_WORDS = re.compile(r"\b(?:change|update|new|moved?|moving)\b[^.?!]{0,60}\baddress\b"
                            r"|\baddress\b[^.?!]{0,40}\b(?:change|update)", _I)
_ADDRESS = re.compile(r"\d{1,6} [A-Za-z0-9 .'#-]{3,60}?, [A-Za-z .'-]{2,30}, [A-Z]{2} \d{5}(?:-\d{4})?")
_STOP = {"set", "pack", "with", "and", "the", "for", "inch", "of", "in", "x", "piece", "pair"}


# a value: "double-quoted" (also \"escaped\" inside a JSON string), 'single-quoted', or bare to a delimiter
_VALUE = r"(?:\\?\"([^\"\\]*)\\?\"|'([^']*)'|([^,\n}<\]]*))"


def _kv(key: str) -> str:
    """`key: value`, `"key": value`, `key=value`, `<key>value`, not preceded by a word character."""
    return rf"(?<![\w]){re.escape(key)}[\\\"']*\s*(?:[:=>]|&gt;)\s*"


def text_value(text: str, key: str, *, first: bool = False) -> str | None:
    """The value of `key` in `text`, quoted or bare; the latest one unless `first`."""
    found = [next(g for g in m.groups() if g is not None).strip() for m in
             re.finditer(_kv(key) + _VALUE, text)]
    found = [value for value in found if value]
    return (found[0] if first else found[-1]) if found else None


def number(text: str, key: str, *, first: bool = False) -> float | None:
    found = re.findall(_kv(key) + r"[\\\"']*\$?(-?\d+(?:\.\d+)?)", text)
    return float(found[0] if first else found[-1]) if found else None


def truth(text: str, key: str) -> bool | None:
    found = re.findall(_kv(key) + r"[\\\"']*(true|false|yes|no)\b", text, _I)
    return found[-1].lower() in ("true", "yes") if found else None


def order_refs(text: str) -> list[int]:
    """Order numbers mentioned as `order 1042`, `order #1042`, `#1042`, `order_id: 1042`, in order."""
    return [int(match) for match in _ORDER_REF.findall(text)]


def amounts(text: str) -> list[float]:
    """Dollar amounts written as `$18.50`, `$ 200` or `200 dollars`, in order."""
    return [float((a or b).replace(",", "")) for a, b in _MONEY.findall(text)]


def rule_sentence(text: str) -> str | None:
    """The sentence of a refund rejection that states the broken rule."""
    found = re.search(r"([A-Z$][^.]*(?:only possible within|left to refund|was cancelled|fully refunded|more than)[^.]*)",
                      text)
    return found.group(1) if found else None


def emails(text: str) -> list[str]:
    return _EMAIL.findall(text)


@dataclass(frozen=True)
class Item:
    name: str
    line_total: float


@dataclass(frozen=True)
class Block:
    """The text from a mention of tool `name` to the next mention of another tool."""

    name: str
    start: int
    text: str

    @cached_property
    def body(self) -> str:
        """The text after the call's own arguments when they are written `name({...})`."""
        rest = self.text[len(self.name):]
        stripped = rest.lstrip()
        if not stripped.startswith("("):
            return rest
        depth, quoted, escaped, offset = 0, False, False, len(rest) - len(stripped)
        for index, char in enumerate(stripped):  # parentheses inside the arguments' JSON strings do not count
            if quoted:
                escaped, quoted = (False, True) if escaped else (char == "\\", char != '"')
                continue
            quoted = char == '"'
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0:
                return rest[offset + index + 1:]
        return ""

    def arg(self, key: str) -> float | None:
        """A number from the block's latest call: a retry after a failed call corrects the arguments."""
        return number(self.text, key, first=False)

    @property
    def order_id(self) -> int | None:
        found = number(self.text, "order_id", first=False)
        if found is None:
            refs = order_refs(self.text)
            return refs[-1] if refs else None
        return int(found)

    @cached_property
    def ok(self) -> bool:
        """Succeeded: with its result marker (`refund_id`...) after the last error, whatever else it says (a held
        refund, a call with no result yet, has none). Blocks of tools without a marker: no error words."""
        errors = [m.end() for m in _ERROR.finditer(self.body)]
        key = _SUCCESS_KEY.get(self.name)
        if key is None:
            return not errors
        marks = [m.end() for m in re.finditer(rf"(?<![\w]){key}(?![\w])", self.body)]
        return bool(marks) and (not errors or marks[-1] > errors[-1])

    @property
    def not_found(self) -> bool:
        return not self.ok and bool(_NOT_FOUND.search(self.body))

    @property
    def rejected(self) -> bool:
        """A business-rule refusal (not worth retrying), as opposed to a transient failure."""
        return not self.ok and bool(_REJECTED.search(self.body))

    def decision(self) -> str | None:
        """For a human-approval block: "approved", "rejected", or None while still pending."""
        body = self.body
        structured = re.findall(_kv("approved") + r"[\\\"']*(true|false|yes|no)\b", body, _I)
        if structured:
            return "approved" if structured[-1].lower() in ("true", "yes") else "rejected"
        words = re.findall(r"(not approved|\breject\w*|\bdenied\b|\bdeny\b|\bdeclin\w*)|(\bapprove[sd]?\b)", body, _I)
        if words:
            return "rejected" if words[-1][0] else "approved"
        return None

    def items(self) -> list[Item]:
        """Order lines in a get_order result: each `name` with the `line_total` (or price) after it."""
        starts = list(re.finditer(_kv("name") + _VALUE, self.body))
        found = []
        for index, match in enumerate(starts):
            end = starts[index + 1].start() if index + 1 < len(starts) else len(self.body)
            window = self.body[match.end():end]
            total = number(window, "line_total", first=True)
            if total is None:
                price, quantity = number(window, "price", first=True), number(window, "quantity", first=True)
                total = None if price is None else price * (quantity or 1)
            name = next(g for g in match.groups() if g is not None).strip()
            if name and total is not None:
                found.append(Item(name, round(total, 2)))
        return found


@dataclass(frozen=True)
class Conversation:
    ticket: str
    blocks: tuple[Block, ...]

    def of(self, name: str, order_id: int | None = None) -> list[Block]:
        return [b for b in self.blocks if b.name == name and (order_id is None or b.order_id == order_id)]

    def last(self, name: str, order_id: int | None = None) -> Block | None:
        found = self.of(name, order_id)
        return found[-1] if found else None

    def last_ok(self, name: str, order_id: int | None = None) -> Block | None:
        found = [b for b in self.of(name, order_id) if b.ok]
        return found[-1] if found else None

    def after(self, name: str, start: int, *, ok: bool = True) -> Block | None:
        """The first `name` block after position `start` (successful ones only, by default)."""
        return next((b for b in self.blocks if b.name == name and b.start > start and (b.ok or not ok)), None)

    def text_after(self, start: int) -> str:
        return "\n".join(b.text for b in self.blocks if b.start > start)


def read(text: str, tool_names: list[str] | tuple[str, ...]) -> Conversation:
    """Cut `text` into the ticket and tool blocks. Only names with an underscore count as mentions,
    so that a word like "done" in the customer's prose is never taken for a tool call."""
    names = sorted({name for name in tool_names if "_" in name}, key=len, reverse=True)
    if not names:
        return Conversation(text, ())
    mention = re.compile(rf"(?<![A-Za-z])({'|'.join(map(re.escape, names))})(?![A-Za-z])")
    runs: list[tuple[str, int]] = []
    for match in mention.finditer(text):
        if not runs or runs[-1][0] != match.group(1):
            runs.append((match.group(1), match.start()))
    blocks = tuple(
        Block(name, start, text[start:runs[index + 1][1] if index + 1 < len(runs) else len(text)])
        for index, (name, start) in enumerate(runs)
    )
    return Conversation(text[:runs[0][1]] if runs else text, blocks)


# --- reading the ticket ----------------------------------------------------------------------------

def category(ticket: str) -> str:
    """refund, account or shipping, in that order of precedence (a refund request may mention delivery)."""
    if _REFUND_WORDS.search(ticket):
        return "refund"
    return "account" if _ACCOUNT_WORDS.search(ticket) else "shipping"


def addresses(text: str) -> list[str]:
    """US postal addresses on one line: `2150 Larimer St Unit 5B, Denver, CO 80205`."""
    return _ADDRESS.findall(text)


def mentioned_item(items: list[Item], ticket: str) -> Item | None:
    """The item whose distinctive words (words no other item of the order has) the ticket mentions last.

    Read from the end, each word once: a long thread's history costs its distinct words, not all of them."""
    words = {item: {w for w in re.findall(r"[a-z0-9]+", item.name.lower()) if w not in _STOP and not w.isdigit()}
             for item in items}
    distinctive = [(item, own - set().union(*(w for other, w in words.items() if other != item)))
                   for item, own in words.items()]
    seen: set[str] = set()
    for token in reversed(re.findall(r"[a-z0-9]+", ticket.lower())):
        if token in seen:
            continue
        seen.add(token)
        for item, own in distinctive:  # at the same word, the first item wins
            if any(_same_word(token, word) for word in own):
                return item
    return None


def _same_word(token: str, word: str) -> bool:
    """`mugs` is `mug`, `pillowcases` is `pillowcase`, `ethiopian` is `ethiopia`."""
    if len(word) <= 3 or len(token) <= 3:
        return token in (word, word + "s")
    return token.startswith(word) or (word.startswith(token) and len(token) >= len(word) - 1)


@dataclass(frozen=True)
class Customer:
    """Who to write to: the order's customer_email, else the ticket's From header, else any email."""

    email: str
    first_name: str

    @classmethod
    def of(cls, c: Conversation, order: Block | None) -> Customer:
        header = re.search(r"\bFrom:\s*(.+?)\s*(?:\\n|\n|\"|$)", c.ticket)  # also inside a JSON string
        candidates = [text_value(order.body, "customer_email")] if order else []
        candidates += [header.group(1) if header else None, text_value(c.ticket, "customer_email"), c.ticket]
        email = next((found[0] for text in candidates if text and (found := emails(text))), None)
        if email is None:  # every address redacted: pass on the placeholder the context shows
            angle = re.search(r"<([^<>]+)>", header.group(1)) if header else None
            email = next((v for v in (candidates[0] if order else None, angle and angle.group(1),
                                      text_value(c.ticket, "customer_email")) if v), "unknown")
        name = (text_value(order.body, "customer_name") if order else None) or (
            re.sub(r"<.*", "", header.group(1)).strip(" \"'") if header else "")
        return cls(email, (name.split() or ["there"])[0])
