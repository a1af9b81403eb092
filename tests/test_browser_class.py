"""A class in real browsers: runs belong to someone, uploads are private, the instructor key.

A server with an instructor key; the instructor's run (shared with the class) and student A's run.
Student B (a second browser context) sees the shared run but cannot delete or cancel it (by button or
link), does not see A's run nor A's upload; A deletes their own run. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import pytest
from test_browser import ARGS, ARTIFACTS, _browser, _wait_idle, streamlit_server

import kdviz.jobs as jobs
from kdviz.jobs import SERVER, Actor, Status
from kdviz.jobs.owners import new_secret, owner_from_secret
from kdviz.jobs.store_owners import grant_upload

pytestmark = pytest.mark.browser
KEY = "class-key-123"
# long enough to stay running while student B tries to cancel it (its tasks are cached afterwards)
BIG = dict(dataset="synthetic:gmm", n=3000, capacities=(1, 2, 4, 8, 16, 32), methods=("no_kd", "vanilla", "crossfit"),
           repeats=4, folds=5, teacher_options={"n_estimators": 60}, seed=7)
SMALL = dict(dataset="synthetic:gmm", n=200, capacities=(1, 2), methods=("no_kd", "vanilla"), repeats=1, folds=2)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("kdviz-class-home")


@pytest.fixture(scope="module")
def server(home):
    with streamlit_server(home, KDVIZ_INSTRUCTOR_KEY=KEY) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    path = _browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=ARGS)
        yield b
        b.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _open(page, url: str) -> None:
    page.goto(url)
    page.get_by_text("Runs").first.wait_for(timeout=60_000)
    _wait_idle(page)


def test_students_cannot_touch_each_others_runs(server, home, browser):
    secret_a = new_secret()
    a = Actor(owner_from_secret(secret_a))
    teacher_run = jobs.submit("sweep", BIG, home=home, actor=SERVER)
    jobs.share(teacher_run, True, home=home, actor=SERVER)
    a_run = jobs.submit("sweep", SMALL, home=home, actor=a, start_worker=False)
    (home / "uploads").mkdir(exist_ok=True)
    upload = "0123456789ab_grades.csv"
    (home / "uploads" / upload).write_text("x,y,label\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(60)))
    grant_upload(jobs.open_store(home), upload, a.owner)

    ctx_a = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx_a.add_cookies([{"name": "kdviz_owner", "value": secret_a, "url": server}])
    ctx_b = browser.new_context(viewport={"width": 1400, "height": 1000})
    b_page, a_page = ctx_b.new_page(), ctx_a.new_page()

    # student B: a fresh browser gets its own identity cookie (never in the URL or on the page)
    _open(b_page, f"{server}/Runs?open={teacher_run}")
    b_page.get_by_text("Instructor key").first.wait_for(timeout=30_000)
    cookies = {c["name"]: c["value"] for c in ctx_b.cookies()}
    assert len(cookies.get("kdviz_owner", "")) == 32
    assert cookies["kdviz_owner"] not in b_page.url and cookies["kdviz_owner"] not in b_page.content()
    table = b_page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=30_000)
    assert jobs.get_job(teacher_run, home=home).active, "the instructor's run finished too early for this test"
    # by button: a student cannot press Cancel or Delete on the instructor's run (the job layer refuses it
    # anyway: tests/test_ownership.py)
    cancel = b_page.get_by_role("button", name="Cancel").first
    cancel.wait_for(timeout=30_000)
    assert cancel.is_disabled() and b_page.get_by_role("button", name="Delete", exact=True).is_disabled()
    assert b_page.get_by_role("button", name="Save", exact=True).is_disabled()  # nor rename it
    _wait_idle(b_page)
    _shot(b_page, "class_01_student_cannot_cancel_or_delete")
    job = jobs.get_job(teacher_run, home=home)
    assert job.status in (Status.QUEUED, Status.RUNNING, Status.DONE) and not job.cancel_requested

    # by link: A's run is not there for B, nor A's upload
    _open(b_page, f"{server}/Runs?open={a_run}")
    b_page.get_by_text("is not stored here").first.wait_for(timeout=30_000)
    assert a_run[:8] not in b_page.locator('[data-testid="stDataFrame"]').first.inner_text()
    b_page.goto(f"{server}/Sweep?dataset=upload:{upload}&target=label")
    b_page.get_by_text("of yours").first.wait_for(timeout=60_000)
    _wait_idle(b_page)
    assert "grades" not in b_page.locator('[data-testid="stDataFrame"]').all_inner_texts().__str__()
    _shot(b_page, "class_03_student_upload_refused")

    # student A (identity from the cookie): sees and deletes their own run
    _open(a_page, f"{server}/Runs?open={a_run}")
    a_page.get_by_text("you", exact=False).first.wait_for(timeout=30_000)
    a_page.get_by_role("button", name="Delete", exact=True).click()
    a_page.get_by_role("button", name="Yes, delete").click()
    a_page.get_by_text(f"Deleted run {a_run[:8]}").first.wait_for(timeout=30_000)
    assert all(j.id != a_run for j in jobs.list_jobs(home=home))
    _shot(a_page, "class_04_owner_deleted")

    # the instructor key: a wrong key is refused, the right one unlocks instructor mode (and may cancel)
    ctx_t = browser.new_context(viewport={"width": 1400, "height": 1000})
    t_page = ctx_t.new_page()
    _open(t_page, f"{server}/Runs?open={teacher_run}")
    field = t_page.get_by_label("Instructor key", exact=True)
    field.fill("wrong")
    field.press("Enter")
    t_page.get_by_text("That is not the instructor key").wait_for(timeout=30_000)
    assert "wrong" not in t_page.url
    t_page.get_by_label("Instructor key", exact=True).fill(KEY)
    t_page.get_by_label("Instructor key", exact=True).press("Enter")
    t_page.get_by_text("Instructor mode").first.wait_for(timeout=30_000)
    # the rerun has finished once the key field is gone (until then the browser may still show the old sidebar)
    t_page.get_by_label("Instructor key", exact=True).wait_for(state="detached", timeout=30_000)
    _wait_idle(t_page)
    assert KEY not in t_page.url and KEY not in t_page.content()
    _shot(t_page, "class_05_instructor")
    jobs.cancel(teacher_run, home=home)  # (leave no long run behind)
    for c in (ctx_a, ctx_b, ctx_t):
        c.close()
