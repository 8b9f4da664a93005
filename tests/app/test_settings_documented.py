"""Every setting the code reads is declared in ``app/config.py`` and in the README table.

Issue 12 item 10 (and 13): an operator following the README must see every ``SIYU_*``
variable the app reads, and nothing outside ``app/config.py`` reads the environment.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "franchise", "community", "livestream")
SETTING = re.compile(r"\bSIYU_[A-Z][A-Z0-9_]*[A-Z0-9]\b")


def _sources() -> list[Path]:
    files = [ROOT / "wsgi.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def test_only_config_reads_the_environment():
    readers = [
        str(path.relative_to(ROOT))
        for path in _sources()
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text())
    ]
    assert readers == ["app/config.py"]


def test_every_setting_in_the_code_is_declared_and_in_the_readme_table():
    named = {name for path in _sources() for name in SETTING.findall(path.read_text())}
    declared = set(SETTING.findall((ROOT / "app" / "config.py").read_text()))
    table = set(re.findall(r"`(SIYU_[A-Z0-9_]+)`", _readme_section("Configuration")))
    assert len(named) > 40
    assert named <= declared, sorted(named - declared)
    assert declared <= table, sorted(declared - table)


def test_the_production_section_names_every_wechat_setting_without_ellipsis():
    section = _readme_section("Production deployment")
    assert "…" not in section and "..." not in section
    from app.config import WECHAT_SETTINGS

    for _, var in WECHAT_SETTINGS:
        assert f"{var}=" in section, var
    for step in ("createuser", "createdb", "flask db upgrade", "flask siyu create-user"):
        assert step in section, step


CONFIG_READ = re.compile(
    r"""(?:config|cfg)(?:\.get\(\s*|\.setdefault\(\s*|\[)"([A-Z][A-Z0-9_]+)"(\s*,)?"""
)


def test_every_config_key_the_code_reads_is_declared_once_with_its_default():
    """No ``config.get(KEY, default)`` or ``setdefault`` outside ``app/config.py``: each
    key the code reads has its one default in ``load_config``."""
    from app.config import load_config

    declared = set(load_config({"SECRET_KEY": "x"}))
    read, defaulted = set(), []
    for path in _sources():
        if path == ROOT / "app" / "config.py":
            continue
        for match in CONFIG_READ.finditer(path.read_text()):
            read.add(match.group(1))
            if match.group(2) or ".setdefault(" in match.group(0):
                defaulted.append(f"{path.relative_to(ROOT)}: {match.group(1)}")
    assert len(read) > 40
    assert read <= declared, sorted(read - declared)
    assert defaulted == []
