"""Profiles of a hot path without new packages: cProfile's top-N by cumulative time as
text, and a collapsed-stack file (``frame;frame;frame count`` per line, the input of
flamegraph.pl / speedscope / inferno) from a stdlib sampler.

The sampler is a thread reading ``sys._current_frames()`` of the profiled thread every
``interval`` seconds; the switch interval is lowered while it runs so the sampler gets
the GIL often enough. Used by ``scripts/bench_cost.py``.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path


def cprofile_text(run: Callable[[], None], top: int = 40) -> str:
    """cProfile ``run`` and return the top ``top`` functions by cumulative time."""
    profile = cProfile.Profile()
    profile.enable()
    run()
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _frame_name(frame) -> str:
    code = frame.f_code
    module = Path(code.co_filename).stem
    return f"{module}.{code.co_name}:{frame.f_lineno}".replace(";", ",")


def collapsed_stacks(run: Callable[[], None], interval: float = 0.0005) -> str:
    """Sample the calling thread's stack while ``run`` runs; one ``a;b;c count`` line per
    distinct stack, root first (Brendan Gregg's collapsed format)."""
    target = threading.get_ident()
    counts: Counter[str] = Counter()
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            frame = sys._current_frames().get(target)
            names = []
            while frame is not None:
                names.append(_frame_name(frame))
                frame = frame.f_back
            if names:
                counts[";".join(reversed(names))] += 1
            time.sleep(interval)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(interval / 2)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        run()
    finally:
        done.set()
        sampler.join()
        sys.setswitchinterval(previous)
    return "".join(f"{stack} {n}\n" for stack, n in counts.most_common())
