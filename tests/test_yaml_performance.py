"""A big range file is read in time and memory proportional to its size (issue 12: a 20 MB range
took 128 s and 2 GB). The 20 MB figure is measured by bench/validate_large.py (docs/performance.md);
here a 2 MB file of the same shape must stay well inside the same budget scaled down: 10 s and
500 MB for 20 MB are 1 s and 50 MB for 2 MB, on top of the interpreter and its imports."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("validate_large", ROOT / "bench" / "validate_large.py")
validate_large = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(validate_large)

# Runs in a child process of its own, so that its peak memory is its own.
MEASURE = """
import json, resource, sys, time
from cyder.model.files import check_file
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.process_time()
kind, problems = check_file(sys.argv[1])
print(json.dumps({"cpu": time.process_time() - start, "base_mb": base / 1024,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "kind": kind, "problems": [str(p) for p in problems[:5]]}))
"""


def measure(path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, timeout=300,
                          check=True)
    return json.loads(proc.stdout)


def test_a_2_mb_range_is_checked_in_proportion_to_its_size(tmp_path):
    path = tmp_path / "large.yaml"
    path.write_text(validate_large.large_range(2), encoding="utf-8")
    assert 1.9e6 < path.stat().st_size < 2.1e6
    figures = measure(path)
    assert figures["kind"] == "range" and figures["problems"] == []
    # Measured: about 0.6 s of CPU and 40 MB above the imports; the old reader took 23 s here.
    assert figures["cpu"] < 2.0, figures
    assert figures["peak_mb"] - figures["base_mb"] < 75, figures


def test_problems_in_a_big_range_are_located_in_proportion_too(tmp_path):
    path = tmp_path / "large.yaml"
    text = validate_large.large_range(2)
    # One problem near the end: locating it walks the whole file's data once.
    text = text.replace("pc: pc-003000}", "pc: pc-nowhere}")
    path.write_text(text, encoding="utf-8")
    figures = measure(path)
    line = text[:text.index("pc-nowhere")].count("\n") + 1
    assert figures["problems"] == [f"{path}:{line}:{text.splitlines()[line - 1].index('pc: ') + 1}: "
                                   "staff[2999].pc: unknown host 'pc-nowhere'"]
    assert figures["cpu"] < 2.5, figures
