"""scripts/bench parses (a missing ``fi`` once stopped the whole run before its first
benchmark), runs the APIv3 notify → ledger variant beside the v2 one, and prints each
variant's rate beside pgbench's from the same run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from scripts.bench_baseline import main, ratio_line

ROOT = Path(__file__).resolve().parents[2]


def test_bench_script_parses_and_runs_the_v3_ledger_variant():
    subprocess.run(["bash", "-n", str(ROOT / "scripts/bench")], check=True)
    text = (ROOT / "scripts/bench").read_text(encoding="utf-8")
    assert "bench_ledger.py --api v3" in text and "bench-results/ledger_v3.json" in text
    assert '--ratio-of "bench-results/$name.json"' in text


def test_ratio_line_reads_the_last_result(tmp_path, capsys):
    result = {
        "benchmark": "notify_v3_to_ledger",
        "notifies_per_s": 199.8,
        "pgbench_tps": 350.2,
        "ratio_to_pgbench": 0.571,
        "goal_ratio": 0.3,
        "goal_met": True,
    }
    assert ratio_line(result).endswith("ratio 0.571 (goal 0.3): met")
    out = tmp_path / "ledger_v3.json"
    out.write_text("seeding…\n" + json.dumps(result) + "\n", encoding="utf-8")
    assert main(["--ratio-of", str(out)]) == 0
    assert "notify_v3_to_ledger: 199.8 notifies/s, pgbench 350.2 tps" in capsys.readouterr().out
    empty = tmp_path / "empty.json"
    empty.write_text("", encoding="utf-8")
    assert main(["--ratio-of", str(empty)]) == 1
