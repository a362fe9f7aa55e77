"""The README's screenshots, taken in headless Chromium with the browser tests' harness: `make screenshots`.

    python tests/browser/screenshots.py docs    # docs/context-meter.png and docs/approval-card.png

The context meter is lesson 03's, after running the lesson. The approval card is lesson 07's,
paused on Daniel's $899 refund, from the agent tests/browser/approval.py uses (stages/stage_07.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import approval
from lab_harness import Browser, Lab, copy_lesson, run_notebook, why_no_browser

from course.grading.layout import lessons


def _shoot(page, selector: str, target: Path) -> None:
    widget = page.locator(selector).first
    widget.wait_for(state="visible")
    widget.scroll_into_view_if_needed()
    widget.screenshot(path=str(target), animations="disabled")
    print(f"{target} ({target.stat().st_size // 1024} KiB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if why_no_browser():
        print(f"no screenshots: {why_no_browser()}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    lesson = next(lesson for lesson in lessons() if lesson.number == 3)
    card = approval.stage_07_available()
    with tempfile.TemporaryDirectory() as served:
        copy_lesson(lesson.source_dir, Path(served) / lesson.slug)
        if card:
            approval.write_notebook(Path(served) / "approval")
        with Lab(Path(served), Path(served) / "jupyterlab.log") as lab, Browser() as browser:
            page = browser.context.new_page()
            run_notebook(page, lab, f"{lesson.slug}/{lesson.slug}.ipynb")
            _shoot(page, ".jupyter-widgets.course-context-meter", args.out / "context-meter.png")
            if card:
                run_notebook(page, lab, "approval/approval.ipynb")
                _shoot(page, ".jp-OutputArea-output:has(button:has-text('Approve'))", args.out / "approval-card.png")
            else:
                print("approval card: skipped, no stage_07.py (lesson 07's agent; `make release` writes it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
