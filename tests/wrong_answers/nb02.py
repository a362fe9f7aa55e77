'''Wrong-but-plausible answers to lesson 02, own your prompts: solution-cell grade id -> replacement cell sources.

Each one breaks a behaviour the exercise asks for: the hidden tests of that exercise take points for it, and its
visible check fails on it too, except those in HIDDEN_ONLY.
'''

WRONG_ANSWERS: dict[str, list[str]] = {
    "render": [
        # safe_substitute: a missing value ships a literal $placeholder, an unused one is silently ignored
        '''
def render(template: str, values: Mapping[str, object]) -> str:
    """Fill the template's $placeholders."""
    return string.Template(template).safe_substitute(values)
''',
        # catches the missing value, but a typo'd extra value slips through
        '''
def render(template: str, values: Mapping[str, object]) -> str:
    """Fill the template's $placeholders; a missing value is a PromptError."""
    try:
        return string.Template(template).substitute(values)
    except KeyError as error:
        raise PromptError(f"The template needs {error.args[0]}, which was not given.") from None
''',
        # str.replace: `$$` stays doubled, and $a also eats the front of $ab
        '''
def render(template: str, values: Mapping[str, object]) -> str:
    """Fill the template's $placeholders by plain text replacement."""
    import re
    needed = set(re.findall(r"\\$\\{?([A-Za-z_][A-Za-z0-9_]*)", template))
    missing = sorted(needed - set(values))
    if missing:
        raise PromptError(f"The template needs {', '.join(missing)}.")
    unused = sorted(set(values) - needed)
    if unused:
        raise PromptError(f"{', '.join(unused)} given but not used.")
    text = template
    for name, value in values.items():
        text = text.replace("${" + name + "}", str(value)).replace("$" + name, str(value))
    return text
''',
        # only the `named` group of the pattern: a ${braced} placeholder is never found, so its value looks unused
        '''
def render(template: str, values: Mapping[str, object]) -> str:
    """Fill the template's $placeholders."""
    needed = {m.group("named") for m in string.Template.pattern.finditer(template)} - {None}
    missing = sorted(needed - values.keys())
    if missing:
        raise PromptError(f"The template needs {', '.join(missing)}.")
    unused = sorted(values.keys() - needed)
    if unused:
        raise PromptError(f"{', '.join(unused)} given but not used.")
    return string.Template(template).substitute(values)
''',
        # checks unused values, but lets substitute find the missing ones: only the first is named
        '''
def render(template: str, values: Mapping[str, object]) -> str:
    """Fill the template's $placeholders."""
    needed = {m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(template)} - {None}
    unused = sorted(values.keys() - needed)
    if unused:
        raise PromptError(f"{', '.join(unused)} given but not used.")
    try:
        return string.Template(template).substitute(values)
    except KeyError as error:
        raise PromptError(f"The template needs {error.args[0]}, which was not given.") from None
''',
        # fills in the values by popping them from the caller's dict: a second render with the same values fails
        '''
def render(template: str, values: Mapping[str, object]) -> str:
    """Fill the template's $placeholders."""
    needed = {m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(template)} - {None}
    missing = sorted(needed - values.keys())
    unused = sorted(values.keys() - needed)
    if missing or unused:
        raise PromptError(f"Missing: {', '.join(missing) or 'none'}; unused: {', '.join(unused) or 'none'}.")
    text = template
    for name in sorted(needed, key=len, reverse=True):
        value = str(values.pop(name))
        text = text.replace("${" + name + "}", value).replace("$" + name, value)
    return text.replace("$$", "$")
''',
    ],
    "prompt_version": [
        # Python's hash(): the same within one process, different in the next one
        '''
def prompt_version(template: str) -> str:
    """A short id of the template text."""
    return format(hash(template) & 0xFFFFFFFFFFFF, "012x")
''',
        # the length: a one-word edit of the same length keeps the id
        '''
def prompt_version(template: str) -> str:
    """A short id of the template text."""
    return f"v{len(template)}"
''',
        # a fresh id on every call: never the same twice, even for the same text
        '''
def prompt_version(template: str) -> str:
    """A short id of the template text."""
    import uuid
    return uuid.uuid4().hex[:12]
''',
        # whitespace-blind: a change at the end of the file keeps the id
        '''
def prompt_version(template: str) -> str:
    """A short id of the template text, ignoring surrounding whitespace."""
    return hashlib.sha256(template.strip().encode("utf-8")).hexdigest()[:12]
''',
        # SHA-256 of the text without its line breaks: a newline added or removed keeps the id
        '''
def prompt_version(template: str) -> str:
    """A short id of the template text."""
    return hashlib.sha256(" ".join(template.split()).encode("utf-8")).hexdigest()[:12]
''',
    ],
    "system_prompt": [
        # the numbers typed by hand: right today, wrong the day the policy changes
        '''
def system_prompt(policy: ShopPolicy, name: str = "support_agent") -> Prompt:
    """The system prompt, rendered from its template file."""
    template = read_template(name)
    values = {"shop_name": "Brightside Goods", "refund_window_days": 30, "approval_limit": "100.00", "currency": "USD"}
    return Prompt(name=name, version=prompt_version(template), text=render(template, values))
''',
        # reads the policy file, not the policy it is given
        '''
def system_prompt(policy: ShopPolicy, name: str = "support_agent") -> Prompt:
    """The system prompt, rendered from its template file with the shop's policy."""
    template = read_template(name)
    policy = ShopPolicy.load()
    values = {"shop_name": policy.shop_name, "refund_window_days": policy.refund_window_days,
              "approval_limit": f"{policy.approval_limit:.2f}", "currency": policy.currency}
    return Prompt(name=name, version=prompt_version(template), text=render(template, values))
''',
        # versions the rendered text: the id changes with the policy although the template did not
        '''
def system_prompt(policy: ShopPolicy, name: str = "support_agent") -> Prompt:
    """The system prompt, rendered from its template file with the numbers from the policy."""
    template = read_template(name)
    values = {"shop_name": policy.shop_name, "refund_window_days": policy.refund_window_days,
              "approval_limit": f"{policy.approval_limit:.2f}", "currency": policy.currency}
    text = render(template, values)
    return Prompt(name=name, version=prompt_version(text), text=text)
''',
        # hard-codes the shop name and the limit; only the window comes from the policy
        '''
def system_prompt(policy: ShopPolicy, name: str = "support_agent") -> Prompt:
    """The system prompt, rendered from its template file."""
    template = read_template(name)
    values = {"shop_name": "Brightside Goods", "refund_window_days": policy.refund_window_days,
              "approval_limit": "100.00", "currency": policy.currency}
    return Prompt(name=name, version=prompt_version(template), text=render(template, values))
''',
        # the limit as Python prints a float: "$100.0", and "$99.5" for a limit of 99.50
        '''
def system_prompt(policy: ShopPolicy, name: str = "support_agent") -> Prompt:
    """The system prompt, rendered from its template file with the numbers from the policy."""
    template = read_template(name)
    values = {"shop_name": policy.shop_name, "refund_window_days": policy.refund_window_days,
              "approval_limit": policy.approval_limit, "currency": policy.currency}
    return Prompt(name=name, version=prompt_version(template), text=render(template, values))
''',
    ],
    "ask_model": [
        # puts the system prompt into the caller's list: the second call of a run sends it twice
        '''
def ask_model(prompt: Prompt, messages: list[dict], tools: list[dict], log: list[ModelCall]):
    """One model call with `prompt` as the system message; appends a ModelCall to `log`."""
    messages.insert(0, {"role": "system", "content": prompt.text})
    response = client().chat.completions.create(model=model_name(), messages=messages, tools=tools)
    log.append(ModelCall(prompt=prompt.name, prompt_version=prompt.version, model=response.model,
                         prompt_tokens=response.usage.prompt_tokens if response.usage else 0))
    return response.choices[0].message
''',
        # records only the first call of a run
        '''
def ask_model(prompt: Prompt, messages: list[dict], tools: list[dict], log: list[ModelCall]):
    """One model call with `prompt` as the system message; records the prompt in `log`."""
    response = client().chat.completions.create(
        model=model_name(), messages=[{"role": "system", "content": prompt.text}, *messages], tools=tools)
    if not log:
        log.append(ModelCall(prompt=prompt.name, prompt_version=prompt.version, model=response.model,
                             prompt_tokens=response.usage.prompt_tokens if response.usage else 0))
    return response.choices[0].message
''',
        # the prompt as a user message, after the conversation; the log still looks right
        '''
def ask_model(prompt: Prompt, messages: list[dict], tools: list[dict], log: list[ModelCall]):
    """One model call with `prompt` as the instructions; appends a ModelCall to `log`."""
    response = client().chat.completions.create(
        model=model_name(), messages=[*messages, {"role": "user", "content": prompt.text}], tools=tools)
    log.append(ModelCall(prompt=prompt.name, prompt_version=prompt.version, model=response.model,
                         prompt_tokens=response.usage.prompt_tokens if response.usage else 0))
    return response.choices[0].message
''',
        # a hand-counted size and a hard-coded version: the record says nothing true about the call
        '''
def ask_model(prompt: Prompt, messages: list[dict], tools: list[dict], log: list[ModelCall]):
    """One model call with `prompt` as the system message; appends a ModelCall to `log`."""
    sent = [{"role": "system", "content": prompt.text}, *messages]
    response = client().chat.completions.create(model=model_name(), messages=sent, tools=tools)
    size = sum(len(str(m.get("content") or "")) for m in sent) // 4
    log.append(ModelCall(prompt="support_agent", prompt_version=prompt_version(prompt.text), model=model_name(),
                         prompt_tokens=size))
    return response.choices[0].message
''',
        # model_name() for the model: the name asked for, not the snapshot that answered
        '''
def ask_model(prompt: Prompt, messages: list[dict], tools: list[dict], log: list[ModelCall]):
    """One model call with `prompt` as the system message; appends a ModelCall to `log`."""
    response = client().chat.completions.create(
        model=model_name(), messages=[{"role": "system", "content": prompt.text}, *messages], tools=tools)
    log.append(ModelCall(prompt=prompt.name, prompt_version=prompt.version, model=model_name(),
                         prompt_tokens=response.usage.prompt_tokens if response.usage else 0))
    return response.choices[0].message
''',
    ],
}
