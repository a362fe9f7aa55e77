"""The README's example runs as printed, against `course llm serve` (docs examples are tests)."""

from __future__ import annotations

import contextlib
import io
import re

from conftest import ROOT


def test_the_readme_langchain_example_prints_the_refund(base_url):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Any OpenAI-compatible client", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)  # type: ignore[union-attr]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code.replace("http://127.0.0.1:8765/v1", base_url), "README.md", "exec"), {})
    assert printed.getvalue().strip() == "order_id=1042 amount=18.5"
