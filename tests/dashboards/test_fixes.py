"""Issue 16, findings 1-8 and 11: one data-level test per fix (each fails on the code before it)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from dse.dashboard import data, design, figures, layout
from dse.dashboard.design_figures import learning_curve_figure, point_style, shape_figure
from dse.dashboard.ticks import linear_ticks, log_ticks
from dse.study._records import Objective, StudyInfo
from tests.dashboards.test_data import HAND, INFO, record


def _nice(value: float) -> bool:
    mantissa = value / 10 ** math.floor(math.log10(abs(value)))
    return any(math.isclose(mantissa, m, rel_tol=1e-9) for m in (1, 2, 2.5, 5, 10))


# ---- finding 1: categories keep one order in the groups, the lines and the axis
def test_categorical_shape_groups_follow_first_seen_order_and_the_axis_uses_it() -> None:
    bypass = next(s for s in design.shape_data(HAND, INFO) if s.parameter == "bypass")
    assert bypass.categories == ["none", "simple", "complex"]  # first seen; sorted would be complex, none, simple
    fig = shape_figure(bypass)
    assert list(fig.layout.xaxis.ticktext) == ["none", "simple", "complex"]
    best = next(t for t in fig.data if t.uid == "best")
    assert list(best.x) == [0, 1, 2]  # the line visits the categories left to right, never doubling back
    by_value = {g.value: g.best_acc for g in bypass.groups}
    assert list(best.y) == [by_value["none"], by_value["simple"], by_value["complex"]]


def test_declared_choices_order_the_categories() -> None:
    info = replace(INFO, space={"parameters": {"bypass": {"choices": ["complex", "simple", "none"]}}})
    (bypass,) = design.shape_data(HAND, info)
    assert bypass.categories == ["complex", "simple", "none"]
    dots = next(t for t in shape_figure(bypass).data if t.uid == "trials")
    category = {r.number: r.params.get("bypass") for r in HAND}
    for x, number in zip(dots.x, dots.customdata):
        assert round(x) == bypass.categories.index(category[number])  # each dot sits over its own category


# ---- finding 2: infeasible trials are not counted as completed; the target reads as completed trials
def test_status_counts_separate_infeasible_from_completed() -> None:
    assert data.status_counts(HAND) == {"completed": 5, "infeasible": 1, "pruned": 1, "failed": 1, "running": 1}
    line = layout.summary_line(data.status_counts(HAND), 5, "cifar10").children
    assert line.startswith("completed: 5 of 5 targeted | infeasible: 1 | pruned: 1")


# ---- finding 3: an infeasible trial was never trained: no "accuracy 0.0000"
def test_infeasible_trial_panel_and_hover_show_no_accuracy() -> None:
    facts = dict(layout.trial_facts(HAND[6]))
    assert facts["validation accuracy"] == "not trained (infeasible)"
    assert dict(layout.trial_facts(HAND[0]))["validation accuracy"] == "0.8000"
    fig = figures.pareto_figure(data.pareto_data(HAND, INFO, "params"))
    strip = next(t for t in fig.data if t.uid == "infeasible")
    assert "accuracy" not in strip.hovertemplate and "never trained" in strip.hovertemplate


# ---- finding 5: a one-epoch curve gets axes around its one point
def test_single_epoch_learning_curve_axes_fit_the_point() -> None:
    fig = learning_curve_figure([0.42])
    assert list(fig.layout.xaxis.range) == [0.5, 1.5] and list(fig.layout.xaxis.tickvals) == [1]
    lo, hi = fig.layout.yaxis.range
    assert 0.0 <= lo < 0.42 < hi <= 1.0 and hi - lo < 0.2


# ---- finding 6: round ticks on the size axis, whole-number ticks for integer parameters, log 3-D axes
@pytest.mark.parametrize(("lo", "hi"), [(116_000, 528_000), (1.9334e6, 2.2031e6), (3_000, 9e8), (0.12, 0.98)])
def test_ticks_are_round_and_cover_the_range(lo: float, hi: float) -> None:
    for ticks in (linear_ticks(lo, hi), log_ticks(lo, hi)):
        assert ticks and ticks[0] <= lo and ticks[-1] >= hi
        assert all(_nice(t) or math.isclose(t / (ticks[1] - ticks[0]), round(t / (ticks[1] - ticks[0])))
                   for t in ticks if t)
    assert all(_nice(t) for t in log_ticks(lo, hi))


def test_shape_axes_get_round_size_ticks_and_whole_number_parameter_ticks() -> None:
    rows = [record(i, 0.6 + 0.01 * i, 100_000 + 37_000 * i, freq=1 + i % 4) for i in range(12)]
    info = StudyInfo("s", INFO.objectives, {}, {}, {}, None, None, False)
    (freq,) = design.shape_data(rows, info)
    fig = shape_figure(freq)
    assert list(fig.layout.xaxis.tickvals) == [1, 2, 3, 4]
    assert fig.layout.yaxis2.type == "log" and all(_nice(t) for t in fig.layout.yaxis2.tickvals)


def test_three_objective_view_uses_log_cost_axes_and_leaves_room_for_titles() -> None:
    three = data.ThreeObjectiveData(("val_acc", "params", "macs"), ("a", "b", "c"), [0, 1],
                                    [(0.8, 1e4, 1e6), (0.9, 1e6, 1e8)], [True, True], ["x", "y"])
    scene = figures.three_objective_figure(three).layout.scene
    assert scene.xaxis.type == "log" and scene.yaxis.type == "log"
    assert all(_nice(t) for t in scene.yaxis.tickvals)
    assert scene.camera.eye.x > 1.5


# ---- finding 7: normalised hypervolume in titles and legends; both panels on one titled range
def test_normalised_hypervolume_in_titles_and_one_range_for_both_panels() -> None:
    d = data.pareto_data(HAND, INFO, "params")
    ideal = (440 - 100) * (0.90 - 0.0)  # box from the reference (cost 440, accuracy 0) to the ideal point
    assert d.normalized_hypervolume == pytest.approx((80 + 170 + 36) / ideal)
    title = figures.pareto_figure(d).layout.title.text
    assert f"normalised hypervolume {d.normalized_hypervolume:.3f}" in title and "286" not in title
    hv = figures.hypervolume_figure(data.hypervolume_history(HAND, INFO)).layout
    assert hv.yaxis.range == hv.yaxis2.range and hv.yaxis.title.text and hv.yaxis2.title.text
    a = [record(0, 0.8, 100), record(1, 0.9, 300)]
    c = data.compare_data({"a": (INFO, a)}, "params")
    assert c.fronts[0].normalized_hypervolume == pytest.approx((0.8 * 200 + 0.9 * 30) / (0.9 * 230))  # reference cost 330
    assert "normalised hypervolume" in figures.compare_figure(c).data[0].name


# ---- finding 8: dots visible at 14 trials, a faint jittered cloud at 2,000
def test_dot_style_scales_with_the_number_of_trials() -> None:
    few, many = point_style(14), point_style(2000)
    assert few["size"] >= 7 and few["opacity"] >= 0.8
    assert many["size"] <= 3 and many["opacity"] <= 0.25 and many["jitter"] > few["jitter"]
    bypass = next(s for s in design.shape_data(HAND, INFO) if s.parameter == "bypass")
    dots = next(t for t in shape_figure(bypass).data if t.uid == "trials")
    assert len({round(x, 6) for x in dots.x}) == len(dots.x)  # jittered: no two dots on one vertical line


def test_box_plots_summarise_every_group() -> None:
    bypass = next(s for s in design.shape_data(HAND, INFO) if s.parameter == "bypass")
    box = next(t for t in shape_figure(bypass).data if t.uid == "box")
    none = bypass.groups[0]
    assert box.type == "box" and list(box.x) == [0, 1, 2] and box.median[0] == none.median_acc


# ---- cost axes come from the stored metrics (latency where measured)
def test_cost_axes_follow_objectives_and_measured_metrics() -> None:
    rows = [replace(r, objective_values={**r.objective_values, "latency_ms": 1.5}) for r in HAND[:5]]
    info = replace(INFO, objectives=(*INFO.objectives, Objective("latency_ms", "minimize")))
    assert data.cost_metrics(info, rows)[:2] == ["params", "latency_ms"]
    assert "latency_ms" not in data.cost_metrics(INFO, HAND)


# ---- speed: a huge dominated cloud is thinned evenly, the front never
def test_dominated_points_are_thinned_above_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [record(i, 0.5 + 0.3 * (i % 7) / 7, 100 + 10 * i) for i in range(60)]
    full = data.pareto_data(rows, INFO, "params")
    monkeypatch.setattr(data, "MAX_DOMINATED", 10)
    thin = data.pareto_data(rows, INFO, "params")
    assert thin.front_numbers() == full.front_numbers()
    kept = thin.sets["dominated"].numbers
    assert 5 <= len(kept) <= 10 and thin.n_hidden == len(full.sets["dominated"].numbers) - len(kept)
    assert set(kept) <= set(full.sets["dominated"].numbers)
    assert "of" in next(t for t in figures.pareto_figure(thin).data if t.uid == "dominated").name


def test_pareto_log_axis_has_round_ticks() -> None:
    fig = figures.pareto_figure(data.pareto_data(HAND, INFO, "params"))
    assert fig.layout.xaxis.type == "log" and list(fig.layout.xaxis.tickvals) == [10, 20, 50, 100, 200, 500]
