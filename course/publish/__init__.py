"""`course.publish`: the lessons as people see them outside a kernel — slides and a read-only site.

- `slide_types`: each cell's `slideshow.slide_type`, derived from the headings and stored in the sources;
- `decks`: a static reveal.js deck per lesson (`course slides build`, `make slides`);
- `site`: the lessons with outputs, for browsing before installing (`course site`, `make site`);
- `offline`: the templates and the local reveal.js that let both open without a network.
"""

from .decks import build_decks, deck_html
from .site import build_site, executed_release
from .slide_types import derive_slide_types, stale_slide_types, tag_notebook

__all__ = ["build_decks", "build_site", "deck_html", "derive_slide_types", "executed_release",
           "stale_slide_types", "tag_notebook"]
