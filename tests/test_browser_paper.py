"""End-to-end in a real browser: the /Paper gallery with one finished run (the stored MAGIC B table).

The store of a fresh KDVIZ_HOME gets one finished run of the paper-magic-B preset, whose table is
`benchmarks/results/paper/paper-magic-B.kdviz.csv` (a real full-protocol run, the authors' protocol); the page must draw every card,
the MAGIC B card with the run beside the published curves and its agreement line. Screenshots go to
test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_browser import ARGS, _browser, _shot, _wait_idle, streamlit_server

from kdviz.paper import compare

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "results" / "paper" / "paper-magic-B.kdviz.csv"


def _store_run(home: Path) -> None:
    from kdviz.jobs import open_store
    from kdviz.jobs.engine import config_digest, normalize_config
    from kdviz.paper.gallery import Card, card_config

    table = pd.read_csv(RUN)
    table["dataset"] = "csv:magic04.csv"  # the file name only: no server path on a page
    store = open_store(home)
    _, text = normalize_config("sweep", card_config(Card("B", "magic", "logp")))
    job = store.add_job("sweep", text, config_digest("sweep", text))
    store.claim_job("test-worker", job)
    assert store.finish_job(job, "test-worker", "done", table=table)


@pytest.fixture(scope="module")
def paper_server(tmp_path_factory):
    if not RUN.exists():
        pytest.skip(f"{RUN.name} is not in this checkout")
    home = tmp_path_factory.mktemp("kdviz-home")
    _store_run(home)
    with streamlit_server(home) as url:
        yield url


def test_the_paper_gallery_renders_every_card(paper_server):
    path = _browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(f"{paper_server}/Paper")
        page.get_by_text("Run what is missing").first.wait_for(timeout=90_000)
        _wait_idle(page, timeout=90_000)
        tab = page.get_by_role("tab", name="MAGIC")
        tab.click()
        _wait_idle(page)
        panel = page.locator('[role="tabpanel"]:visible')
        panel.locator(".js-plotly-plot").nth(3).wait_for(timeout=60_000)
        assert panel.locator(".js-plotly-plot").count() == 4
        line = compare(pd.read_csv(RUN), "magic-B", scales=["logp"]).summary_line()  # the card's own line
        assert panel.get_by_text(line.split(";")[0]).count() >= 1
        legend = panel.locator(".js-plotly-plot").nth(2).locator(".legend").text_content()
        assert "paper: Vanilla KD" in legend and "Vanilla KD" in legend.replace("paper: Vanilla KD", "")
        _shot(page, "paper_01_magic")
        card = page.locator(".st-key-pp_card_magic-B-logp")
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(ROOT / "test-artifacts" / "paper_03_magic_B_card.png"))
        for name in ("Adult", "FICO HELOC", "Higgs", "StumbleUpon"):
            page.get_by_role("tab", name=name).click()
            _wait_idle(page)
            shown = page.locator('[role="tabpanel"]:visible .js-plotly-plot')
            shown.nth(3).wait_for(timeout=60_000)
            assert shown.count() == 4, name
        _shot(page, "paper_02_stumbleupon")
        browser.close()
