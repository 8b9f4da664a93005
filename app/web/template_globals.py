"""Page templates whose globals are one dict, made at a template's first render.

Jinja keeps a template's globals as a ``ChainMap`` over the environment's (~50 names:
the shell's helpers, the domains' ``add_template_global``s, flask-babel's and
flask-wtf's), and every render copies it into the new context's dict and a set of its
names: both walk the ``ChainMap`` in Python, ~100 calls a page. Jinja asks that
globals are not changed once a template is loaded (``Environment.make_globals``), and
Siyu adds every global while the app is built; so the first render of a template
flattens its globals into one dict, and each render after copies that dict in C.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Template
from jinja2.runtime import Context, new_context


class FlatGlobalsTemplate(Template):
    """A ``Template`` whose renders copy its globals from a dict made once."""

    _flat_globals: dict[str, Any] | None = None

    def new_context(
        self,
        vars: dict[str, Any] | None = None,  # noqa: A002 - Jinja's own parameter name
        shared: bool = False,
        locals: Mapping[str, Any] | None = None,  # noqa: A002
    ) -> Context:
        flat = self._flat_globals
        if flat is None:
            flat = self._flat_globals = dict(self.globals)
        return new_context(self.environment, self.name, self.blocks, vars, shared, flat, locals)
