"""nblabel's Jupyter server extension: TCP_NODELAY on kernel websockets, and nothing else.

jupyter_server leaves Nagle's algorithm on for the websocket between the browser and the kernel.
A small message that follows another one before the browser has ACKed it then waits for that ACK,
which Linux delays by up to 40 ms: nblabel's "All changes saved" (the kernel's ack of a label,
sent just after the kernel's "busy" status) arrived ~40 ms late. Tornado's documentation says to
call ``set_nodelay(True)`` on a websocket handler "once the websocket connection is established";
this extension does that for kernel websockets.

How (no monkeypatching): jupyter_server creates one connection object per kernel websocket from
the class in its ``kernel_websocket_connection_class`` web-app setting (the
``ServerApp.kernel_websocket_connection_class`` option) and calls its ``connect()`` once the
websocket is open. At load, the extension replaces that setting with a subclass of the configured
class whose ``connect()`` first sets TCP_NODELAY on the websocket's socket. Only that server's
kernel websockets change; a custom or gateway connection class keeps its behaviour. With an
unexpected jupyter_server (no such setting) it logs a warning and changes nothing.

It is enabled by ``etc/jupyter/jupyter_server_config.d/nblabel.json`` (installed with nblabel), so
JupyterLab, Notebook 7 and Voilà served by a Jupyter server load it. Turn it off for the whole
environment with ``jupyter server extension disable nblabel_server``; for one user with
``{"ServerApp": {"jpserver_extensions": {"nblabel_server": false}}}`` in
``~/.jupyter/jupyter_server_config.json``; for one run with
``--ServerApp.jpserver_extensions=nblabel_server=False``. The stand-alone ``voila`` command loads
no server extensions; opt in there with
``--Voila.kernel_websocket_connection_class=nblabel_server.NodelayWebsocketConnection``.

This module is separate from ``nblabel`` so that the server does not import nblabel's widgets,
pandas and the rest: it imports only what jupyter_server has already imported.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["NodelayWebsocketConnection"]

_SETTING = "kernel_websocket_connection_class"
_log = logging.getLogger(__name__)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """Tell jupyter_server where the extension's loader is (this module)."""
    return [{"module": __name__}]


class _Nodelay:
    """Mixin for a kernel websocket connection class: TCP_NODELAY before ``connect()``."""

    _nblabel_nodelay = True

    def connect(self) -> Any:
        """Turn Nagle's algorithm off on this websocket, then connect as the base class does."""
        handler = getattr(self, "websocket_handler", None)
        try:
            handler.set_nodelay(True)  # type: ignore[union-attr]
        except (AttributeError, AssertionError, OSError) as exc:  # no handler, or already closed
            getattr(self, "log", _log).warning("nblabel_server: could not set TCP_NODELAY: %r", exc)
        return super().connect()  # type: ignore[misc]


def _with_nodelay(base: type, name: str = "") -> type:
    """A subclass of the kernel websocket connection class ``base`` that sets TCP_NODELAY when
    each connection opens (``base`` itself if it already does)."""
    if getattr(base, "_nblabel_nodelay", False):
        return base
    name = name or f"Nodelay{base.__name__}"
    doc = f"{base.__name__} with TCP_NODELAY on its websocket (nblabel_server)."
    return type(base)(name, (_Nodelay, base), {"__module__": __name__, "__qualname__": name, "__doc__": doc})


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Put TCP_NODELAY on this server's kernel websockets (see the module docstring)."""
    settings = serverapp.web_app.settings
    base = settings.get(_SETTING)
    if not isinstance(base, type) or not callable(getattr(base, "connect", None)):
        import jupyter_server

        serverapp.log.warning(
            "nblabel_server: jupyter_server %s has no %s setting (found %r); kernel websockets are "
            "left as they are (Nagle's algorithm on)",
            getattr(jupyter_server, "__version__", "?"),
            _SETTING,
            base,
        )
        return
    settings[_SETTING] = _with_nodelay(base)
    serverapp.log.info("nblabel_server: TCP_NODELAY on kernel websockets (%s)", base.__name__)


def __getattr__(name: str) -> Any:
    # Built on first use: importing this module must not need (or fail on) jupyter_server internals.
    if name == "NodelayWebsocketConnection":
        from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

        cls = globals()[name] = _with_nodelay(ZMQChannelsWebsocketConnection, name)
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
