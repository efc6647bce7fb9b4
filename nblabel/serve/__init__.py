"""``nblabel session serve``: a page per annotator with only their labeler, and no kernel.

The serve process is a *kernel-less widget host*: it builds each annotator's labeler
(``session.labeler(name)``, an ordinary anywidget) with a comm of its own
(:mod:`nblabel.serve.relay`) that relays the widget protocol — the state, ``update`` messages
and custom messages with binary buffers — over one websocket per page
(:mod:`nblabel.serve.app`). The page (``js/page.js``) implements the small model interface the
widgets' ES modules use and calls their ``render``. Nothing on the page can run code: there is
no kernel and no code path that evaluates what a page sends; anything but the widget's own
messages is answered with an error and logged.

Each annotator reaches their page through a personal link holding a random token
(:mod:`nblabel.serve.links`); on PostgreSQL their labeler runs with their own login role
(``session.grant``), on SQLite with the store file itself (all or nothing).
"""

from __future__ import annotations

from .server import SessionServer

__all__ = ["SessionServer"]
