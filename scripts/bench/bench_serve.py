"""The served mode of the benchmark references (`--serve`): the glassbox-bench side starts the
script once, then alternates one Glassbox run with one run here, so both sides are measured back to
back under the same machine load. Protocol (one JSON object per line on stdout, flushed):

  * after loading and the warm-up runs: the `ready` object;
  * for each line `run` read from stdin: one timed run, its object (at least {"s": seconds});
  * when stdin closes: the `summary(times)` object, then exit.

Anything else the script prints must go to stderr.
"""
import json
import sys


def serve(ready: dict, run_once, summary) -> int:
    """run_once() -> dict with "s"; summary(times) -> dict."""
    print(json.dumps(ready), flush=True)
    times = []
    for line in sys.stdin:
        if line.strip() != "run":
            break
        out = run_once()
        times.append(out["s"])
        print(json.dumps(out), flush=True)
    print(json.dumps(summary(times)), flush=True)
    return 0


def status_mb(key: str) -> float:
    """A /proc/self/status memory field (VmRSS, VmHWM, …) in MB; NaN when absent."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> None:
    """Resets VmHWM to the current resident size (where the kernel allows it), so that the peak
    read afterwards covers only what follows."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
