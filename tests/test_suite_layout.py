"""The test suite's own rules: helpers live in tests/fixtures/ and the per-domain factories
(a test module never imports another test module or a conftest), random tests replay from
a printed seed, Hypothesis prints the example to replay, and under pytest-xdist each worker
has its own PostgreSQL database and Redis database."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from tests.fixtures.database import worker_database_url, worker_redis_url
from tests.fixtures.randomness import choose_seed

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
TEST_OR_CONFTEST = re.compile(r"^tests(\.\w+)*\.(test_\w+|conftest)$")


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_no_module_imports_a_test_module_or_a_conftest():
    found = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for module in _imports(path)
        if TEST_OR_CONFTEST.match(module)
    ]
    assert found == [], "move the helper to tests/fixtures/ or a factories module"


def test_random_choices_come_from_seeded_random():
    """``random`` only through the ``seeded_random`` fixture, whose seed a failure prints."""
    found = [
        str(path.relative_to(ROOT))
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != "randomness.py" and "random" in set(_imports(path))
    ]
    assert found == []


@pytest.mark.slow
def test_a_failing_random_test_prints_the_seed_that_replays_it(tmp_path):
    (tmp_path / "test_demo.py").write_text(
        "def test_draw(seeded_random):\n"
        "    print('drew', seeded_random(3).random())\n"
        "    assert False\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SIYU_TEST_SEED": "20261207"}
    runs = [
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "tests.fixtures.randomness",
                "-p",
                "no:cacheprovider",
                "-q",
                "test_demo.py",
            ],  # fmt: skip
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        for _ in range(2)
    ]
    assert "replay with SIYU_TEST_SEED=20261207 pytest test_demo.py::test_draw" in runs[0]
    draws = [re.search(r"drew (\S+)", out).group(1) for out in runs]
    assert draws[0] == draws[1]  # the same seed replays the same choices


def test_without_a_seed_each_run_draws_a_fresh_one(monkeypatch):
    monkeypatch.delenv("SIYU_TEST_SEED", raising=False)
    assert len({choose_seed() for _ in range(5)}) > 1
    monkeypatch.setenv("SIYU_TEST_SEED", "7")
    assert choose_seed() == 7


def test_hypothesis_prints_the_blob_to_replay():
    assert settings().print_blob is True


def test_each_xdist_worker_has_its_own_database_and_redis_db():
    base = "postgresql+psycopg://siyu:siyu@127.0.0.1:5432/siyu_test"
    assert worker_database_url(base, 1) == base + "_gw1"
    assert worker_database_url(base + "?sslmode=disable", 0) == base + "_gw0?sslmode=disable"
    assert worker_redis_url("redis://127.0.0.1:6399/6", 1) == "redis://127.0.0.1:6399/7"
    assert worker_redis_url("redis://127.0.0.1:6399", 2) == "redis://127.0.0.1:6399/2"
