"""What the three widgets share: escaping, a small table, and a widget that degrades to static HTML.

A widget shows in JupyterLab as live controls. Everywhere else (nbconvert, the course site, a
static slide deck, a terminal) the same output cell shows the widget's report instead: every
widget here is a `ReportWidget`, whose mime bundle carries the report's HTML and plain text
next to the widget view, so nothing is lost where no widget manager runs.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import ipywidgets as widgets

__all__ = ["Report", "ReportWidget", "badge", "esc", "shorten", "table"]


class Report(Protocol):
    """The plain data behind a widget: readable as text, and as HTML."""

    def text(self) -> str: ...

    def html(self) -> str: ...


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def shorten(text: str, width: int = 90) -> str:
    """One line of at most `width` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def badge(text: str, colour: str) -> str:
    return (f'<span style="background:{colour};color:white;border-radius:3px;padding:0 5px;'
            f'font-size:90%">{esc(text)}</span>')


def table(header: Sequence[str], rows: Iterable[Sequence[object]], *, raw: bool = False) -> str:
    """An HTML table; cells are escaped unless `raw` (for cells that already are HTML)."""
    cell = (lambda value: str(value)) if raw else esc
    head = "".join(f'<th style="text-align:left;padding:1px 8px">{esc(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(f'<td style="padding:1px 8px">{cell(v)}</td>' for v in row) + "</tr>"
                   for row in rows)
    return f'<table class="course-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


class ReportWidget(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """A VBox that shows `report` as HTML and text wherever no widget manager renders it."""

    def __init__(self, report: Report, children: Sequence[widgets.Widget], **kwargs: Any) -> None:
        self.report = report
        super().__init__(list(children), **kwargs)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self.report.text()
        bundle["text/html"] = self.report.html()
        return bundle
