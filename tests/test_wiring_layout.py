"""Each domain plugs into the app one way (issue 13, items 4 and 6): a ``wiring/`` package
with one ``register(app)`` per area and nothing else, demo seeders in ``<domain>/demo/``,
commands in ``<domain>/cli.py``, API schemas in the domain's ``schemas`` room.

The registrations themselves are checked where they are used (navigation, jobs, handlers,
pages, the seed); this file holds the layout, so a new area lands in the same places.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from marshmallow import Schema

from app.extensions import registry

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ("franchise", "community", "livestream")


def _wiring_modules(domain: str) -> list[Path]:
    return sorted(p for p in (ROOT / domain / "wiring").glob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_domain_has_a_wiring_package_of_areas(domain):
    assert not (ROOT / domain / "wiring.py").exists()
    assert (ROOT / domain / "wiring" / "__init__.py").is_file()
    assert (ROOT / domain / "demo" / "__init__.py").is_file()
    assert _wiring_modules(domain), f"{domain}/wiring has no area"


@pytest.mark.parametrize("domain", DOMAINS)
def test_wiring_modules_only_wire(domain):
    """Each area module defines ``register`` and no other function or class, imports no
    click (commands live in cli.py), and every area is registered by ``init_app``."""
    init_source = (ROOT / domain / "__init__.py").read_text(encoding="utf-8")
    for path in _wiring_modules(domain):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defs = [
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        assert defs == ["register"], f"{path.relative_to(ROOT)} defines {defs}"
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or "").split(".")[0])
        assert "click" not in imported, f"{path.relative_to(ROOT)} defines commands"
        assert path.stem in init_source, f"{domain}.init_app does not register {path.stem}"


def test_demo_seeders_live_in_each_domains_demo_package(app):
    seeders = registry(app).seeders
    assert seeders
    domains = []
    for seeder in seeders:
        domain, room, _area = seeder.__module__.split(".")
        assert room == "demo", f"{seeder.__qualname__} is in {seeder.__module__}"
        domains.append(domain)
    # dependency order: every franchise seeder, then community's, then livestream's
    assert domains == sorted(domains, key=DOMAINS.index)


def test_commands_live_in_each_domains_cli_module(app):
    for domain in ("franchise", "community"):
        group = app.cli.commands[domain]
        assert group.commands
        for name, command in group.commands.items():
            assert command.callback.__module__ == f"{domain}.cli", f"flask {domain} {name}"


def test_what_the_wiring_registers_is_defined_outside_it(app):
    reg = registry(app)
    funcs = [job["func"] for job in reg.jobs]
    funcs += list(reg.outbox_handlers.values()) + list(reg.pay_notify_handlers)
    funcs += [h for handlers in reg.wecom_subscribers.values() for h in handlers]
    funcs += [h for handlers in reg.hooks.values() for h in handlers]
    funcs += [part for source in reg.dashboard for part in (source.figures, source.panels)]
    funcs += list(app.after_request_funcs.get(None, []))
    funcs += [f for f in app.jinja_env.globals.values() if callable(f)]
    for func in funcs:
        module = getattr(func, "__module__", "") or ""
        assert ".wiring" not in module, f"{func!r} is defined in {module}"


def test_community_api_schemas_live_in_community_schemas():
    import community.api
    import community.schemas

    assert any(
        isinstance(obj, type) and issubclass(obj, Schema)
        for obj in vars(community.schemas).values()
    )
    for info in pkgutil.iter_modules(community.api.__path__):
        module = importlib.import_module(f"community.api.{info.name}")
        own = [
            name
            for name, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, Schema) and obj.__module__ == module.__name__
        ]
        assert own == [], f"community.api.{info.name} defines {own}"
