'''Wrong-but-plausible answers to lesson 03, own your context window: solution-cell grade id -> replacement cell sources.

Each one passes the visible check of its exercise, or hard-codes what it expects, yet breaks a behaviour the
hidden tests of that exercise check.
'''

WRONG_ANSWERS: dict[str, list[str]] = {
    "redact": [
        # spaces only: a card written with dashes goes through
        r'''
def redact(text: str) -> str:
    """Mask card numbers and email addresses."""
    return EMAIL.sub("[email]", CARD.sub("[card]", text))


CARD = re.compile(r"\b(?:\d ?){12,18}\d\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
''',
        # "any number with spaces or dashes": eats order numbers, amounts and dates too
        r'''
def redact(text: str) -> str:
    """Mask card numbers and email addresses."""
    return EMAIL.sub("[email]", CARD.sub("[card]", text))


CARD = re.compile(r"\d[\d -]*\d")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
''',
        # no word boundaries: the first 19 digits of a 22-digit tracking number become a "card"
        r'''
def redact(text: str) -> str:
    """Mask card numbers and email addresses."""
    return EMAIL.sub("[email]", CARD.sub("[card]", text))


CARD = re.compile(r"(?:\d[ -]?){12,18}\d")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
''',
        # a narrow email pattern: dots in the local part and capitals slip through (grace.liu.[email])
        r'''
def redact(text: str) -> str:
    """Mask card numbers and email addresses."""
    return EMAIL.sub("[email]", CARD.sub("[card]", text))


CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
EMAIL = re.compile(r"[a-z]+@[a-z]+\.[a-z]+")
''',
        # hard-codes the card of the visible check
        r'''
def redact(text: str) -> str:
    """Mask card numbers and email addresses."""
    return EMAIL.sub("[email]", text.replace("4111 1111 1111 1111", "[card]"))


CARD = re.compile(r"4111 1111 1111 1111")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
''',
        # only 16-digit cards in groups of four: Amex (15 digits, 4-6-5) and 13-digit cards go through
        r'''
def redact(text: str) -> str:
    """Mask card numbers and email addresses."""
    return EMAIL.sub("[email]", CARD.sub("[card]", text))


CARD = re.compile(r"\b(?:\d{4}[ -]?){3}\d{4}\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
''',
        # lower-case-only emails: David.Liu+orders@Example.co.uk goes through
        r'''
def redact(text: str) -> str:
    """Mask card numbers and email addresses."""
    return EMAIL.sub("[email]", CARD.sub("[card]", text))


CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}")
''',
        # the domain may end in a dot: the full stop that ends the sentence is masked with the address
        r'''
def redact(text: str) -> str:
    """Mask card numbers and email addresses."""
    return EMAIL.sub("[email]", CARD.sub("[card]", text))


CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
EMAIL = re.compile(r"[\w.+-]+@[\w.-]+")
''',
    ],
    "render_event": [
        # forgets to redact
        r'''
def render_event(event: Event) -> str:
    """One event as the model reads it."""
    match event:
        case Earlier(sender=sender, sent_on=sent_on, body=body):
            return f'<earlier from="{sender}" on="{sent_on}">{body}</earlier>'
        case TicketReceived(subject=subject, body=body):
            return f'<ticket subject="{subject}">\n{body}\n</ticket>'
        case ToolRequested(name=name, arguments=arguments):
            return f"<{name}>{arguments}</{name}>"
        case ToolResult(name=name, result=result):
            return f"<{name}_result>\n{compact(json.loads(result))}\n</{name}_result>"
        case ToolFailed(name=name, error=error):
            return f"<{name}_error>{error}</{name}_error>"
        case Finished(summary=summary):
            return f"<finished>{summary}</finished>"
''',
        # tool results as raw JSON, redacted only in the message bodies the visible check looks at
        r'''
def render_event(event: Event) -> str:
    """One event as the model reads it."""
    match event:
        case Earlier(sender=sender, sent_on=sent_on, body=body):
            return f'<earlier from="{sender}" on="{sent_on}">{redact(body)}</earlier>'
        case TicketReceived(subject=subject, body=body):
            return f'<ticket subject="{subject}">\n{redact(body)}\n</ticket>'
        case ToolRequested(name=name, arguments=arguments):
            return f"<{name}>{arguments}</{name}>"
        case ToolResult(name=name, result=result):
            if "cancelled_on" in result:
                return f"<{name}_result>\n{compact(json.loads(result))}\n</{name}_result>"
            return f"<{name}_result>{result}</{name}_result>"
        case ToolFailed(name=name, error=error):
            return f"<{name}_error>{error}</{name}_error>"
        case Finished(summary=summary):
            return f"<finished>{summary}</finished>"
''',
        # forgets the ToolFailed and Finished cases: they render as nothing
        r'''
def render_event(event: Event) -> str:
    """One event as the model reads it."""
    text = ""
    match event:
        case Earlier(sender=sender, sent_on=sent_on, body=body):
            text = f'<earlier from="{sender}" on="{sent_on}">{body}</earlier>'
        case TicketReceived(subject=subject, body=body):
            text = f'<ticket subject="{subject}">\n{body}\n</ticket>'
        case ToolRequested(name=name, arguments=arguments):
            text = f"<{name}>{arguments}</{name}>"
        case ToolResult(name=name, result=result):
            text = f"<{name}_result>\n{compact(json.loads(result))}\n</{name}_result>"
    return redact(text)
''',
        # redacts only the message bodies: tool calls, results, errors and the summary go out as they are
        r'''
def render_event(event: Event) -> str:
    """One event as the model reads it."""
    match event:
        case Earlier(sender=sender, sent_on=sent_on, body=body):
            return f'<earlier from="{sender}" on="{sent_on}">{redact(body)}</earlier>'
        case TicketReceived(subject=subject, body=body):
            return f'<ticket subject="{subject}">\n{redact(body)}\n</ticket>'
        case ToolRequested(name=name, arguments=arguments):
            return f"<{name}>{arguments}</{name}>"
        case ToolResult(name=name, result=result):
            return f"<{name}_result>\n{compact(json.loads(result))}\n</{name}_result>"
        case ToolFailed(name=name, error=error):
            return f"<{name}_error>{error}</{name}_error>"
        case Finished(summary=summary):
            return f"<finished>{summary}</finished>"
''',
        # tool results as their raw JSON, not compact key: value lines
        r'''
def render_event(event: Event) -> str:
    """One event as the model reads it."""
    match event:
        case Earlier(sender=sender, sent_on=sent_on, body=body):
            text = f'<earlier from="{sender}" on="{sent_on}">{body}</earlier>'
        case TicketReceived(subject=subject, body=body):
            text = f'<ticket subject="{subject}">\n{body}\n</ticket>'
        case ToolRequested(name=name, arguments=arguments):
            text = f"<{name}>{arguments}</{name}>"
        case ToolResult(name=name, result=result):
            text = f"<{name}_result>\n{result}\n</{name}_result>"
        case ToolFailed(name=name, error=error):
            text = f"<{name}_error>{error}</{name}_error>"
        case Finished(summary=summary):
            text = f"<finished>{summary}</finished>"
    return redact(text)
''',
    ],
    "build_context": [
        # cuts characters to budget * 4: forgets the per-message tokens (over budget), never raises, may cut the ticket
        r'''
class ContextTooLong(ValueError):
    """Even the ticket and the events since it do not fit the budget."""


def build_context(thread: Thread, budget: int) -> list[dict]:
    """The messages for the next model call, never over `budget` tokens."""
    text = "\n".join(render_event(event) for event in thread.events)
    return [{"role": "user", "content": text[-budget * 4:]}]
''',
        # counts len // 4 and forgets the 4 tokens per message: a few tokens over the budget at the edges
        r'''
class ContextTooLong(ValueError):
    """Even the ticket and the events since it do not fit the budget."""


def build_context(thread: Thread, budget: int) -> list[dict]:
    """The messages for the next model call, never over `budget` tokens."""
    start = next(i for i, event in enumerate(thread.events) if isinstance(event, TicketReceived))
    history = [render_event(event) for event in thread.events[:start]]
    required = [render_event(event) for event in thread.events[start:]]
    for dropped in range(len(history) + 1):
        note = [f"<omitted>{dropped} earlier messages</omitted>"] if dropped else []
        content = "\n".join(note + history[dropped:] + required)
        if len(content) // 4 <= budget:
            return [{"role": "user", "content": content}]
    raise ContextTooLong(f"{budget} tokens is too small for the ticket.")
''',
        # drops the newest history first (keeps the start of the story)
        r'''
class ContextTooLong(ValueError):
    """Even the ticket and the events since it do not fit the budget."""


def build_context(thread: Thread, budget: int) -> list[dict]:
    """The messages for the next model call, never over `budget` tokens."""
    start = next(i for i, event in enumerate(thread.events) if isinstance(event, TicketReceived))
    history = [render_event(event) for event in thread.events[:start]]
    required = [render_event(event) for event in thread.events[start:]]
    for dropped in range(len(history) + 1):
        note = [f"<omitted>{dropped} later messages</omitted>"] if dropped else []
        messages = [{"role": "user", "content": "\n".join(history[:len(history) - dropped] + note + required)}]
        if count_message_tokens(messages) <= budget:
            return messages
    raise ContextTooLong(f"{budget} tokens is too small for the ticket.")
''',
        # never sends any history: always fits, but throws away what would have fit
        r'''
class ContextTooLong(ValueError):
    """Even the ticket and the events since it do not fit the budget."""


def build_context(thread: Thread, budget: int) -> list[dict]:
    """The messages for the next model call, never over `budget` tokens."""
    start = next(i for i, event in enumerate(thread.events) if isinstance(event, TicketReceived))
    required = [render_event(event) for event in thread.events[start:]]
    note = f"<omitted>{start} earlier messages</omitted>" if start else ""
    messages = [{"role": "user", "content": "\n".join([note, *required]).strip()}]
    if count_message_tokens(messages) > budget:
        raise ContextTooLong(f"{budget} tokens is too small for the ticket.")
    return messages
''',
        # keeps the newest events of any kind while they fit: the ticket itself can fall out, no note, never raises
        r'''
class ContextTooLong(ValueError):
    """Even the ticket and the events since it do not fit the budget."""


def build_context(thread: Thread, budget: int) -> list[dict]:
    """The messages for the next model call, never over `budget` tokens."""
    kept: list[str] = []
    for event in reversed(thread.events):
        candidate = [render_event(event), *kept]
        if count_message_tokens([{"role": "user", "content": "\n".join(candidate)}]) > budget:
            break
        kept = candidate
    return [{"role": "user", "content": "\n".join(kept)}]
''',
        # redacts the stored events in place, then renders: the thread loses its record
        r'''
class ContextTooLong(ValueError):
    """Even the ticket and the events since it do not fit the budget."""


def build_context(thread: Thread, budget: int) -> list[dict]:
    """The messages for the next model call, never over `budget` tokens."""
    for event in thread.events:
        for field in ("body", "subject", "arguments", "result", "error", "summary", "customer_email"):
            if hasattr(event, field):
                setattr(event, field, redact(getattr(event, field)))
    start = next(i for i, event in enumerate(thread.events) if isinstance(event, TicketReceived))
    history = [render_event(event) for event in thread.events[:start]]
    required = [render_event(event) for event in thread.events[start:]]
    for dropped in range(len(history) + 1):
        note = [f"<omitted>{dropped} earlier messages</omitted>"] if dropped else []
        messages = [{"role": "user", "content": "\n".join(note + history[dropped:] + required)}]
        if count_message_tokens(messages) <= budget:
            return messages
    raise ContextTooLong(f"{budget} tokens is too small for the ticket.")
''',
        # serialises events as JSON instead of render_event: no redaction at all
        r'''
class ContextTooLong(ValueError):
    """Even the ticket and the events since it do not fit the budget."""


def build_context(thread: Thread, budget: int) -> list[dict]:
    """The messages for the next model call, never over `budget` tokens."""
    start = next(i for i, event in enumerate(thread.events) if isinstance(event, TicketReceived))
    history = [event.model_dump_json() for event in thread.events[:start]]
    required = [event.model_dump_json() for event in thread.events[start:]]
    for dropped in range(len(history) + 1):
        note = [f"<omitted>{dropped} earlier messages</omitted>"] if dropped else []
        messages = [{"role": "user", "content": "\n".join(note + history[dropped:] + required)}]
        if count_message_tokens(messages) <= budget:
            return messages
    raise ContextTooLong(f"{budget} tokens is too small for the ticket.")
''',
        # stamps the note with the time it was built: the same thread never gives the same context twice
        r'''
class ContextTooLong(ValueError):
    """Even the ticket and the events since it do not fit the budget."""


def build_context(thread: Thread, budget: int) -> list[dict]:
    """The messages for the next model call, never over `budget` tokens."""
    from datetime import datetime

    start = next(i for i, event in enumerate(thread.events) if isinstance(event, TicketReceived))
    history = [render_event(event) for event in thread.events[:start]]
    required = [render_event(event) for event in thread.events[start:]]
    stamp = f"<built at={datetime.now().time().isoformat()}/>"
    for dropped in range(len(history) + 1):
        note = [f"<omitted>{dropped} earlier messages</omitted>"] if dropped else []
        messages = [{"role": "user", "content": "\n".join([stamp] + note + history[dropped:] + required)}]
        if count_message_tokens(messages) <= budget:
            return messages
    raise ContextTooLong(f"{budget} tokens is too small for the ticket.")
''',
        # drops the oldest history first, but leaves no note saying that anything was dropped
        r'''
class ContextTooLong(ValueError):
    """Even the ticket and the events since it do not fit the budget."""


def build_context(thread: Thread, budget: int) -> list[dict]:
    """The messages for the next model call, never over `budget` tokens."""
    start = next(i for i, event in enumerate(thread.events) if isinstance(event, TicketReceived))
    history = [render_event(event) for event in thread.events[:start]]
    required = [render_event(event) for event in thread.events[start:]]
    for dropped in range(len(history) + 1):
        messages = [{"role": "user", "content": "\n".join(history[dropped:] + required)}]
        if count_message_tokens(messages) <= budget:
            return messages
    raise ContextTooLong(f"{budget} tokens is too small for the ticket.")
''',
    ],
}
