"""Home page (AppTest): explanation, live mini-chart, presets, presentation mode."""

from __future__ import annotations

from apptools import no_exceptions, page, specs, trace_names

from kdviz.kd.methods import METHODS


def test_home_draws_the_live_mini_chart_with_method_colours():
    at = page("app.py").run()
    no_exceptions(at)
    assert "Knowledge distillation" in " ".join(m.value for m in at.markdown)
    (spec,) = specs(at)
    names = trace_names(spec)
    assert "Vanilla KD" in names and "Cross-fit KD" in names and any(n.startswith("Teacher") for n in names)
    vanilla = next(t for t in spec["data"] if t["name"] == "Vanilla KD")
    assert vanilla["line"]["color"] == METHODS["vanilla"].color
    assert len(vanilla["x"]) >= 8  # one point per capacity on the slider
    assert "depth" in spec["layout"]["xaxis"]["title"]["text"]
    # the "what to look for" caption sits under the chart
    assert any("What to look for" in c.value for c in at.caption)


def test_home_mini_chart_reacts_to_noise():
    at = page("app.py").run()
    before = next(t for t in specs(at)[0]["data"] if t["name"] == "Vanilla KD")["y"]
    at.select_slider(key="home_noise").set_value(0.0).run()
    no_exceptions(at)
    after = next(t for t in specs(at)[0]["data"] if t["name"] == "Vanilla KD")["y"]
    assert before != after


def test_presentation_mode_from_link_enlarges_fonts():
    plain = specs(page("app.py").run())[0]
    at = page("app.py", {"present": "1"}).run()
    no_exceptions(at)
    assert at.sidebar.toggle[0].value is True
    big = specs(at)[0]
    assert big["layout"]["font"]["size"] > plain["layout"]["font"]["size"]
    # switching it off removes it from the link
    at.sidebar.toggle[0].set_value(False).run()
    assert "present" not in at.query_params
