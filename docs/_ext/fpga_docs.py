"""Directives that generate reference text from the code, so the docs cannot drift.

``configtraits``: one ``autotrait`` entry (from autodoc-traits) for each
``config=True`` trait a class adds to a base class, under the configured
class's own name (``c.FPGASpawner.catalog_file``).

``fpga-magic-overview`` and ``fpga-magic``: the ``%fpga`` usage lines,
purposes and arguments, read from ``jupyter_ext.magics.parsers``.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


def _import(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


class ConfigTraits(SphinxDirective):
    """``.. configtraits:: fpga_spawner.FPGASpawner`` with ``:base: kubespawner.KubeSpawner``."""

    required_arguments = 1
    option_spec = {"base": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        cls = _import(self.arguments[0])
        own = cls.class_traits(config=True)
        if "base" in self.options:
            inherited = _import(self.options["base"]).class_traits(config=True)
            own = {name: t for name, t in own.items() if name not in inherited}
        # Used from MyST pages, whose nested parser reads Markdown: autodoc's
        # output is reStructuredText, so hand it over in an eval-rst block.
        lines = ["```{eval-rst}"]
        for name in sorted(own):
            lines += [f".. autotrait:: {self.arguments[0]}.{name}", ""]
        lines.append("```")
        container = nodes.section()
        container.document = self.state.document
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), 0, container)
        return container.children


def _parsers() -> Any:
    return importlib.import_module("jupyter_ext.magics.parsers")


class MagicOverview(SphinxDirective):
    """The text ``%fpga help`` prints."""

    def run(self) -> list[nodes.Node]:
        text = _parsers().overview()
        return [nodes.literal_block(text, text)]


class Magic(SphinxDirective):
    """``.. fpga-magic:: bench``: usage, purpose and arguments of one sub-command
    (``cell`` for the ``%%fpga`` cell magic)."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        p = _parsers()
        name = self.arguments[0]
        stub = p.cell_args if name == "cell" else p.SUBCOMMANDS[name]
        usage = p.usage(stub).removeprefix("usage: ")
        out: list[nodes.Node] = [nodes.literal_block(usage, usage)]
        out.append(nodes.paragraph(text=p.purpose(stub)))
        items = nodes.bullet_list()
        for action in stub.parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            flag = ", ".join(action.option_strings) or (action.metavar or action.dest)
            if action.option_strings and action.nargs != 0:
                flag += f" {action.metavar or action.dest.upper()}"
            help_text = (action.help or "").replace("%%", "%")
            para = nodes.paragraph()
            para += nodes.literal(flag, flag)
            para += nodes.Text(": " + help_text)
            items += nodes.list_item("", para)
        if len(items):
            out.append(items)
        return out


def setup(app: Any) -> dict[str, Any]:
    app.setup_extension("autodoc_traits")
    app.add_directive("configtraits", ConfigTraits)
    app.add_directive("fpga-magic-overview", MagicOverview)
    app.add_directive("fpga-magic", Magic)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
