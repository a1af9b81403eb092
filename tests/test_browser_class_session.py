"""A class in real browsers: an instructor and three students, each in their own browser context.

The instructor unlocks instructor mode with the key the server was started with, starts a class on the
Lesson page and moves to the first predict step; three students open the class link, follow, and answer;
the instructor's live poll shows three answers; **Reveal for everyone**; every student's page shows the
reveal (their own answer judged by this run's numbers) within 5 s. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import time

import pytest
from test_browser import ARGS, ARTIFACTS, _browser, _wait_idle, streamlit_server

from kdviz.teaching import lesson as L

pytestmark = pytest.mark.browser
KEY = "class-test-key-4711"
Q = next(i for i, s in enumerate(L.STEPS) if s.question is not None)


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("kdviz-class-home"), KDVIZ_INSTRUCTOR_KEY=KEY) as url:
        yield url


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_instructor_and_three_students_poll_and_reveal(class_server):
    path = _browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    url = class_server
    out = L.outcome(Q, 0)
    choices = L.STEPS[Q].question.choices
    picks = [out.answer, out.answer, next(k for k in choices if k != out.answer)]  # two right, one wrong
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS)
        try:
            teacher = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            teacher.goto(f"{url}/Lesson")
            teacher.get_by_label("Instructor key", exact=True).wait_for(timeout=60_000)
            _wait_idle(teacher)
            teacher.get_by_label("Instructor key", exact=True).fill(KEY)
            teacher.get_by_label("Instructor key", exact=True).press("Enter")
            teacher.get_by_role("button", name="Start a class").wait_for(timeout=30_000)
            _wait_idle(teacher)
            teacher.get_by_role("button", name="Start a class").click()
            teacher.wait_for_url("**class=**", timeout=30_000)
            code = teacher.url.split("class=")[1][:5]
            teacher.get_by_text("Students open this link").wait_for(timeout=30_000)
            _wait_idle(teacher)
            assert teacher.locator('[data-testid="stImage"] img').count() >= 1  # the QR code
            _shot(teacher, "class_01_instructor_started")

            students = []
            for _k in range(3):
                s = browser.new_context(viewport={"width": 1200, "height": 1000}).new_page()
                s.goto(f"{url}/Lesson?class={code}")
                s.get_by_text(f"Class {code}").first.wait_for(timeout=60_000)
                students.append(s)
            for s in students:
                s.get_by_text("following the instructor").wait_for(timeout=30_000)
                assert s.get_by_role("button", name="Start a class").count() == 0
            _shot(students[0], "class_02_student_joined")

            _wait_idle(teacher)
            teacher.get_by_role("button", name="Next").click()
            t0 = time.monotonic()
            for s in students:  # each student's page follows the instructor to the predict step
                s.get_by_role("heading", name=f"{Q + 1}. {L.STEPS[Q].title}").wait_for(timeout=10_000)
            follow_s = time.monotonic() - t0

            for s, pick in zip(students, picks):
                _wait_idle(s)
                assert s.get_by_role("button", name="Next").is_disabled()
                s.get_by_text(choices[pick], exact=True).click()
                s.get_by_text("Your answer goes to the class poll").wait_for(timeout=30_000)
            teacher.get_by_text("3 of 3 students answered").wait_for(timeout=15_000)
            _shot(teacher, "class_03_instructor_poll")
            for s in students:  # nothing revealed to them yet
                assert s.get_by_text("Your prediction held").count() == 0

            teacher.get_by_role("button", name="Reveal for everyone").click()
            t0 = time.monotonic()
            for s, pick in zip(students, picks):
                text = "Your prediction held" if pick == out.answer else "Your prediction did not hold"
                s.get_by_text(text).wait_for(timeout=5_000)
            reveal_s = time.monotonic() - t0
            teacher.get_by_text("answers held in this run").wait_for(timeout=15_000)
            _shot(teacher, "class_04_instructor_revealed")
            _shot(students[0], "class_05_student_revealed_right")
            _shot(students[2], "class_06_student_revealed_wrong")
            print(f"follow {follow_s:.2f} s, reveal seen by all three {reveal_s:.2f} s")
            assert reveal_s <= 5.0
        finally:
            browser.close()
