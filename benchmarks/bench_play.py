"""▶ Play's clock in a real browser: the gap between the Playground's capacity steps (target 1.0 ± 0.2 s).

    .venv/bin/python benchmarks/bench_play.py [repeats]

Starts Streamlit, opens the Playground at depth 1 in headless chromium, presses ▶ Play and records when the
page's capacity changes (10 steps, depth 1 → 20). Prints each gap, their mean and spread, the share within
±0.2 s, and the machine's load (a loaded machine delays every rerun: read the numbers with it).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(repeats: int = 3) -> None:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "KDVIZ_HOME": tempfile.mkdtemp(prefix="kdviz-bench-"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("KDVIZ_CHROMIUM", "/usr/bin/chromium"),
                                        args=ARGS)
            print(f"{'run':>3}  {'load/core':>9}  {'mean s':>7}  {'sd s':>6}  {'within ±0.2':>11}  gaps (s)")
            for r in range(repeats):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(f"{url}/Playground?capacity=1")
                page.get_by_role("button", name="▶ Play").wait_for(timeout=120_000)
                page.wait_for_timeout(2000)
                page.evaluate("""() => { window.__s = []; let last = null; setInterval(() => {
                    const c = new URLSearchParams(location.search).get('capacity');
                    if (c !== last) { window.__s.push(performance.now()); last = c; } }, 10); }""")
                page.get_by_role("button", name="▶ Play").click()
                t0 = page.evaluate("() => performance.now()")
                page.wait_for_url("**capacity=20**", timeout=120_000)
                times = [t0] + page.evaluate("() => window.__s")[1:]
                gaps = [(b - a) / 1000 for a, b in zip(times, times[1:])]
                ok = sum(0.8 <= g <= 1.2 for g in gaps)
                load = os.getloadavg()[0] / (os.cpu_count() or 1)
                print(f"{r + 1:>3}  {load:>9.1f}  {statistics.mean(gaps):>7.2f}  {statistics.pstdev(gaps):>6.2f}  "
                      f"{ok:>5}/{len(gaps):<5}  " + " ".join(f"{g:.2f}" for g in gaps))
                page.close()
            browser.close()
    finally:
        proc.terminate()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
