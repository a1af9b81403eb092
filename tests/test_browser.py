"""End-to-end in a real browser: Playwright drives Debian chromium against `streamlit run app.py`.

Home → Playground (move the capacity slider) → Sweep (run a small sweep, wait for it, check the chart)
→ Runs. Screenshots go to test-artifacts/. Outside CI the test is skipped when no chromium exists;
in CI (CI=true) a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SMALL_SWEEP = ("dataset=synthetic:gmm&n=400&capacities=1,4,16&methods=no_kd,vanilla,crossfit&repeats=2"
               "&folds=3&trees=20&seed=0")


def _browser() -> str:
    for cand in (os.environ.get("KDVIZ_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if cand and Path(cand).exists():
            return cand
    msg = "no chromium found (apt-get install -y chromium, or set KDVIZ_CHROMIUM)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser test required in CI: {msg}")
    pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(home, **env):
    """The dashboard served on a free local port with KDVIZ_HOME = `home` (and `env`); yields its URL."""
    port = _free_port()
    log = tempfile.TemporaryFile()  # (a pipe nobody reads could fill up and stall the server)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "KDVIZ_HOME": str(home), **env}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    end = time.time() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > end:
            proc.kill()
            log.seek(0)
            pytest.fail(f"streamlit did not start: {log.read().decode(errors='replace')[-2000:]}")
        time.sleep(0.5)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("kdviz-home")) as url:
        yield url


@pytest.fixture(scope="module")
def browser_page():
    path = _browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        yield page
        browser.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the script (no 'Running…' status widget)."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def test_home_playground_sweep_runs(server, browser_page):
    page = browser_page
    # Home: explanation + live mini-chart
    page.goto(server)
    page.get_by_text("Knowledge distillation (KD)").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    _wait_idle(page)
    assert page.locator(".js-plotly-plot .legend").first.text_content().count("KD") >= 2
    _shot(page, "01_home")

    # Playground: heat maps, then drag the capacity slider to the deepest teacher
    page.goto(f"{server}/Playground")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    _wait_idle(page)
    assert "capacity=8" in page.url
    _shot(page, "02_playground_depth8")
    slider = page.locator('[data-testid="stSlider"]', has_text="Teacher capacity").get_by_role("slider")
    slider.focus()
    page.keyboard.press("End")
    page.wait_for_url("**capacity=20**", timeout=30_000)
    _wait_idle(page)
    page.locator(".js-plotly-plot text", has_text="max_depth = 20").first.wait_for(state="attached", timeout=30_000)
    _shot(page, "03_playground_depth20")

    # Sweep: a small run in the background, live progress, then the chart
    page.goto(f"{server}/Sweep?{SMALL_SWEEP}")
    page.get_by_role("button", name="▶ Run").wait_for(timeout=60_000)
    _wait_idle(page)
    page.get_by_role("button", name="▶ Run").click()
    page.get_by_text("tasks").first.wait_for(timeout=30_000)
    _shot(page, "04_sweep_running")
    page.locator('[data-testid="stProgress"]', has_text="done").first.wait_for(timeout=120_000)
    page.get_by_role("button", name="Cancel").wait_for(state="detached", timeout=30_000)  # nothing to cancel
    _wait_idle(page)
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=30_000)
    legend = chart.locator(".legend").text_content()
    assert "Vanilla KD" in legend and "Cross-fit KD" in legend and "No KD" in legend
    assert chart.locator(".scatterlayer .trace").count() >= 4
    assert "run=" in page.url
    _shot(page, "05_sweep_done")
    for fmt, magic in (("PNG", b"\x89PNG"), ("SVG", b"<svg"), ("HTML", b"<html")):  # slide-ready files
        with page.expect_download(timeout=60_000) as dl:
            page.get_by_role("button", name=f"⬇ {fmt}").first.click()
        data = Path(dl.value.path()).read_bytes()
        assert magic in data[:200], (fmt, data[:200])
        (ARTIFACTS / f"05_sweep_export.{fmt.lower()}").write_bytes(data)

    # Runs: the run is listed and opens with its chart
    page.goto(f"{server}/Runs")
    page.get_by_text("Open a run").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    _wait_idle(page)
    page.locator('[data-testid="stProgress"]', has_text="done").first.wait_for(timeout=30_000)
    _shot(page, "06_runs")

    # Presentation mode via the link
    page.goto(f"{server}/Playground?present=1&capacity=20")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    _wait_idle(page)
    title = page.locator(".js-plotly-plot .annotation-text").first.get_attribute("style") or ""
    size = re.search(r"font-size: (\d+)px", title)
    assert size and int(size[1]) >= 20, title  # the panel titles at projector size (15 px otherwise)
    _shot(page, "07_playground_presentation")


def test_csv_upload_bad_then_good(server, browser_page, tmp_path):
    """The file uploader in a real browser: a bad file gets a message and changes nothing; a good one
    shows its preview and target check, and runs."""
    import numpy as np

    page = browser_page
    bad = tmp_path / "one_class.csv"
    bad.write_text("a,b,label\n" + "".join(f"{i},{i * 2},yes\n" for i in range(40)))
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 20)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 3))
    good = tmp_path / "my_data.csv"
    good.write_text("f1,f2,f3,outcome\n" + "".join(
        f"{a:.4f},{b:.4f},{c:.4f},{'pos' if a + b > 0 else 'neg'}\n" for a, b, c in x))

    page.goto(f"{server}/Sweep?capacities=1,4&methods=no_kd,vanilla,crossfit&repeats=1&folds=3&trees=10")
    page.get_by_role("button", name="▶ Run").wait_for(timeout=60_000)
    _wait_idle(page)
    page.locator('[data-testid="stSelectbox"]', has_text="Dataset").click()
    page.get_by_role("option", name="Upload a CSV…").click()
    uploader = page.locator('[data-testid="stFileUploader"] input[type=file]')
    uploader.wait_for(state="attached", timeout=30_000)

    uploader.set_input_files(str(garbage))
    page.get_by_text("Cannot use garbage.csv").wait_for(timeout=30_000)
    uploader.set_input_files(str(bad))
    page.get_by_text("one class").first.wait_for(timeout=30_000)
    _wait_idle(page)
    assert page.get_by_role("button", name="▶ Run").is_disabled()  # an unusable upload cannot be run
    _shot(page, "08_upload_bad")
    uploader.set_input_files(str(good))
    page.get_by_text("Loaded my_data.csv: 240 rows × 4 columns").wait_for(timeout=30_000)
    _wait_idle(page)
    page.get_by_text("240 rows, 3 features after encoding, 2 classes").wait_for(timeout=30_000)  # target guessed
    page.get_by_text("CSV my_data.csv (target outcome)").wait_for(timeout=30_000)
    _shot(page, "09_upload_good")
    page.get_by_role("button", name="▶ Run").click()
    page.locator('[data-testid="stProgress"]', has_text="done").first.wait_for(timeout=120_000)
    page.get_by_role("button", name="Cancel").wait_for(state="detached", timeout=30_000)
    _wait_idle(page)
    chart = page.locator(".js-plotly-plot").first
    assert "my_data" in chart.locator(".gtitle").text_content()
    _shot(page, "10_upload_run_done")


def test_theory_presets_run_in_the_background(server, browser_page):
    """Theory: one click runs all four presets as background jobs; the charts fill in with fitted slopes."""
    page = browser_page
    page.set_viewport_size({"width": 1500, "height": 5200})  # the whole page in one screenshot
    try:
        page.goto(f"{server}/Theory?repeats=1&seed=0")
        page.get_by_role("button", name="▶ Run all four presets").wait_for(timeout=60_000)
        _wait_idle(page)
        page.get_by_role("button", name="▶ Run all four presets").click()
        page.locator(".js-plotly-plot .legend", has_text="fitted slope").first.wait_for(timeout=120_000)
        page.locator(".js-plotly-plot .legend", has_text="CV-chosen c").first.wait_for(timeout=120_000)
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stProgress\"]')", timeout=120_000)
        _wait_idle(page)
        # four charts (a rerun may briefly show a stale copy of one while it replaces it)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 4", timeout=30_000)
        assert page.locator('[data-testid="stDataFrame"]').count() >= 1  # the slope table
        assert "repeats=1" in page.url
        _shot(page, "11_theory_done")
    finally:
        page.set_viewport_size({"width": 1500, "height": 1000})


def test_an_uploaded_csv_runs_with_all_rows_and_no_label_noise(server, browser_page, tmp_path):
    """Issue 9: an awkward European export, uploaded on the Sweep page, runs as uploaded."""
    import numpy as np

    rng = np.random.default_rng(0)
    lines = ["id;a;b;label"]
    for i in range(240):
        a, b = rng.normal(), rng.normal()
        label = (">50K" if a + b > 0 else "<=50K") + ("." if i % 4 == 0 else "")
        a_text = "unknown" if i == 5 else f"{a:.3f}".replace(".", ",")
        lines.append(f"P{i:04d};{a_text};{b:.3f}".replace(".", ",") + f";{label}")
    path = tmp_path / "export_eu.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")

    page = browser_page
    page.goto(f"{server}/Sweep")
    page.get_by_text("Set up a sweep in the sidebar").wait_for(timeout=60_000)
    _wait_idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="Upload a CSV…").click()
    _wait_idle(page)
    sidebar.locator("input[type=file]").set_input_files(str(path))
    summary = sidebar.get_by_text("features after encoding")
    summary.wait_for(timeout=60_000)
    _wait_idle(page)
    text = summary.text_content()
    assert "data: 240 rows, 2 features after encoding, 2 classes" in text, text
    assert "unique per row: an ID" in text and "'a' 1" in text
    note_text = sidebar.get_by_test_id("stAlert").last.text_content()
    assert "labels merged" in note_text and "decimal commas" in note_text
    assert sidebar.get_by_role("spinbutton", name="Rows to use n").input_value() == ""
    main = page.get_by_test_id("stMain")
    assert "all rows · no label noise" in main.text_content()
    _shot(page, "09_upload_checked")
    page.get_by_role("button", name="▶ Run").click()
    page.get_by_text("done ·").first.wait_for(timeout=180_000)
    _wait_idle(page)
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=60_000)
    assert "all rows · no label noise" in chart.text_content()
    assert "upload%3A" in page.url and "%2F" not in page.url.split("dataset=")[1].split("&")[0]
    _shot(page, "10_upload_run")


def test_lesson_walk_predict_reveal_classroom_play_and_talk_pack(server, browser_page):
    """The lesson in a real browser: Next through six steps, predict and reveal on steps 2–5, a talk pack,
    the Playground under ?hide=all, ▶ Play, and the projector theme."""
    import io
    import zipfile

    from kdviz.teaching import lesson as L

    page = browser_page
    page.set_viewport_size({"width": 1500, "height": 1600})  # a whole step in one screenshot
    page.goto(f"{server}/Lesson")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    _wait_idle(page)
    for i, step in enumerate(L.STEPS):
        page.get_by_role("heading", name=f"{i + 1}. {step.title}").wait_for(timeout=60_000)
        page.wait_for_url(f"**step={i + 1}**", timeout=30_000)
        page.get_by_text(step.look_for).wait_for(timeout=60_000)  # this step's chart and caption are drawn
        _wait_idle(page)
        if step.question is not None:
            pytest.importorskip("playwright.sync_api").expect(
                page.get_by_role("button", name="Reveal")).to_be_disabled(timeout=30_000)
            _shot(page, f"lesson_{i + 1}a_predict")
            answer = L.outcome(i, 0).answer
            page.locator('[data-testid="stRadio"] label', has_text=step.question.choices[answer]).click()
            _wait_idle(page)
            page.get_by_role("button", name="Reveal").click()
            page.get_by_text("Your prediction held").wait_for(timeout=60_000)
            page.get_by_text(L.chart_caption(i, 0, revealed=True)).wait_for(timeout=60_000)
            _wait_idle(page)
            _shot(page, f"lesson_{i + 1}b_revealed")
        else:
            _shot(page, f"lesson_{i + 1}")
        if i < len(L.STEPS) - 1:
            page.get_by_role("button", name="Next").click()
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.get_by_role("button", name="Next")).to_be_disabled(timeout=30_000)

    # the talk pack of the last step: each chart as PNG, SVG and HTML, captions, config, link, results
    with page.expect_download(timeout=120_000) as dl:
        page.get_by_role("button", name="⬇ Download talk pack").click()
    data = Path(dl.value.path()).read_bytes()
    (ARTIFACTS / "lesson_talk_pack.zip").write_bytes(data)
    z = zipfile.ZipFile(io.BytesIO(data))
    names = set(z.namelist())
    for ext in ("png", "svg", "html"):
        assert f"charts/lesson_step6_theory.{ext}" in names, names
    assert {"captions.md", "config.json", "link.txt", "results.csv", "README.txt"} <= names
    assert z.read("charts/lesson_step6_theory.png")[:4] == b"\x89PNG"
    assert "step=6" in z.read("link.txt").decode()
    assert "fitted log-log slopes" in z.read("captions.md").decode()

    # a classroom link: every control hidden, the view still there
    page.goto(f"{server}/Playground?hide=all&capacity=20")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    _wait_idle(page)
    assert page.locator('[data-testid="stSlider"]').count() == 0
    assert page.get_by_role("button", name="▶ Play").count() == 0
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    _shot(page, "lesson_playground_hide_all")

    # ▶ Play steps the capacity about once a second, then stops at the end of the grid
    page.goto(f"{server}/Playground?capacity=12")
    page.get_by_role("button", name="▶ Play").wait_for(timeout=60_000)
    _wait_idle(page)
    page.get_by_role("button", name="▶ Play").click()
    page.get_by_role("button", name="Pause").wait_for(timeout=30_000)
    page.wait_for_url("**capacity=16**", timeout=30_000)
    page.wait_for_url("**capacity=20**", timeout=30_000)
    page.get_by_role("button", name="▶ Play").wait_for(timeout=30_000)
    page.locator(".js-plotly-plot text", has_text="max_depth = 20").first.wait_for(state="attached", timeout=30_000)
    _shot(page, "lesson_playground_played")

    # the projector theme: dark page and charts; the viewer's menu (print, record) stays
    page.goto(f"{server}/Lesson?step=4&theme=projector")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    _wait_idle(page)
    bg = page.locator(".js-plotly-plot .main-svg").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert bg in ("rgb(0, 0, 0)", "rgba(0, 0, 0, 0)"), bg
    _shot(page, "lesson_4_projector")
    page.locator('[data-testid="stMainMenu"]').click()
    menu = page.locator('[data-testid="stMainMenuList"]')
    menu.wait_for(timeout=10_000)
    assert "Print" in menu.text_content() and "Record screen" in menu.text_content()
    page.keyboard.press("Escape")
    page.set_viewport_size({"width": 1500, "height": 1000})
