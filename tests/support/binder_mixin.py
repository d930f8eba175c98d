"""BinderHub's BinderSpawnerMixin, written to its behaviour (docs/upstream-facts.md, "BinderHub").

BinderHub defines it inline in its helm chart (not importable from PyPI), so
deployers write `class BinderSpawner(BinderSpawnerMixin, FPGASpawner)`; the
unit tests and the end-to-end hub both use this copy.
"""

from tornado import web
from traitlets import Bool
from traitlets.config import Configurable


class BinderSpawnerMixin(Configurable):
    """BinderHub's mixin as its helm chart defines it inline (docs/upstream-facts.md, "BinderHub")."""

    auth_enabled = Bool(False, config=True)

    def start(self):
        if not self.auth_enabled:
            for key in ("token", "image"):
                if key not in self.user_options:
                    raise web.HTTPError(400, f"{key} required")
        if "image" in self.user_options:
            self.image = self.user_options["image"]
        return super().start()

    def get_env(self):
        env = super().get_env()
        if "repo_url" in self.user_options:
            env["BINDER_REPO_URL"] = self.user_options["repo_url"]
        for key in (
            "binder_ref_url",
            "binder_launch_host",
            "binder_persistent_request",
            "binder_request",
            "binder_client_ip",
        ):
            if key in self.user_options:
                env[key.upper()] = self.user_options[key]
        return env
