"""How FPGASpawner says no, so that every caller understands it.

kubespawner's contract is that ``load_user_options`` raises ``ValueError``
for options it cannot use, and its own callers catch that (its form
renderer, for one). JupyterHub answers a ``tornado.web.HTTPError`` from
``apply_user_options`` or ``load_user_options`` with that status and
message, but any other exception from the ``apply_user_options`` hook with a
bare 400 "Invalid user options" (``Spawner._run_apply_user_options``), and
one from ``start()`` with a 500. :class:`UserOptionsRefused` is both, so the
user reads why, and kubespawner's callers still catch a ValueError.
"""

from __future__ import annotations

from tornado import web


class UserOptionsRefused(ValueError, web.HTTPError):
    """A 400 whose message says what was wrong and what is allowed; also a ValueError."""

    def __init__(self, message: str):
        web.HTTPError.__init__(self, 400, message)
        self.message = message
        # what JupyterHub's error page, JSON error and spawn form show (any tornado release)
        self.jupyterhub_message = message

    def __str__(self) -> str:
        return self.message


class SpawnNeedsClick(Exception):
    """A spawn link (GET /hub/spawn?profile=...) for a server that would hold an FPGA.

    JupyterHub starts a server straight from a GET with query arguments
    unless ``options_from_query`` raises; it then shows the spawn form with
    this message instead (status 200, as this is not an error). The form
    comes pre-filled with the link's choices; the user's Start (a POST with
    JupyterHub's XSRF token) starts the server.
    """

    def __init__(self, what: str):
        text = (
            f"a link alone does not start a server that holds {what}: "
            "check the options below and click Start"
        )
        super().__init__(text)
        # JupyterHub's spawn page shows jupyterhub_message (after "Error: "). Its
        # jupyterhub_html_message, meant to be shown as is, never reaches the
        # page in JupyterHub 6.1: the handler passes html_error_message and
        # spawn.html reads error_html_message.
        self.jupyterhub_message = text


class LineTimedOut(web.HTTPError):
    """A spawn waited in the hub's line for a board longer than ``fpga_wait_timeout``.

    An HTTPError, so JupyterHub shows the message (and logs no traceback); 503
    because the request was fine and the boards were busy.
    """

    def __init__(self, message: str):
        super().__init__(503, message)
        self.message = message
        self.jupyterhub_message = message

    def __str__(self) -> str:
        return self.message
