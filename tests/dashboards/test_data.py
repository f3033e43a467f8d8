"""Plain data behind the figures: Pareto sets by kind, hypervolume history, shape, breakdown, comparison."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from dse.dashboard import data, design
from dse.arch import cost, get_preset
from dse.study import _records as rec
from dse.study._records import Objective, StudyInfo, TrialRecord
from tests.dashboards.conftest import StudyDB

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
INFO = StudyInfo(name="s", objectives=(Objective("val_acc", "maximize"), Objective("params", "minimize")),
                 dataset={"name": "cifar10"}, config={}, space={"parameters": {"sr": {}, "bypass": {}}},
                 target=None, version=None, is_dse=True)


def record(number: int, acc: float | None, params: int | None, *, state: str = "COMPLETE", feasible: bool = True,
           status: str = "completed", done: int | None = None, **params_: Any) -> TrialRecord:
    values = (acc if feasible else 0.0, float(params)) if state == "COMPLETE" and acc is not None and params else None
    return TrialRecord(
        number=number, state=state, values=values, params=params_, status=status, label=f"net{number}", arch=None,
        arch_hash=None, params_count=params, macs=None if params is None else params * 10,
        size_bytes=None if params is None else params * 4, val_acc=acc, val_curve=(), train_seconds=None,
        feasible=feasible, reason=None, datetime_start=T0,
        datetime_complete=T0 + timedelta(seconds=done if done is not None else number), duplicate_of=None,
        objective_values={"val_acc": acc, "params": float(params)} if values else {},
    )


HAND = [
    record(0, 0.80, 100, sr=0.125, bypass="none"),
    record(1, 0.85, 200, sr=0.25, bypass="simple"),  # front
    record(2, 0.85, 200, sr=0.25, bypass="simple"),  # tie: also front
    record(3, 0.84, 300, sr=0.5, bypass="none"),  # dominated by 1
    record(4, 0.90, 400, sr=0.5, bypass="complex"),  # front
    record(5, 0.99, 50, state="PRUNED", status="pruned", sr=0.125, bypass="none"),  # better than all, pruned
    record(6, 0.0, 10, feasible=False, status="infeasible", sr=0.125, bypass="none"),  # cheapest, infeasible
    record(7, None, 60, state="FAIL", status="oom", sr=1.0, bypass="none"),
    record(8, None, None, state="RUNNING", status="running"),
]


def test_pareto_data_splits_kinds_and_never_puts_pruned_or_infeasible_on_the_front() -> None:
    d = data.pareto_data(HAND, INFO, "params")
    assert sorted(d.front_numbers()) == [0, 1, 2, 4]
    assert d.sets["dominated"].numbers == [3]
    assert d.sets["pruned"].numbers == [5]
    assert d.sets["infeasible"].numbers == [6]
    assert (d.n_failed, d.n_running) == (1, 1)
    assert d.step_x == sorted(d.step_x) and d.step_y == sorted(d.step_y)  # staircase: cost up, accuracy up
    assert d.reference == pytest.approx((0.0, 440.0))
    # hand-computed: 0.80*(200-100) + 0.85*(400-200) + 0.90*(440-400)
    assert d.hypervolume == pytest.approx(80 + 170 + 36)


def test_pareto_data_on_another_cost_axis_uses_that_axis() -> None:
    d = data.pareto_data(HAND, INFO, "size_bytes")
    assert d.x_metric == "size_bytes" and d.sets["front"].x == [400.0, 800.0, 800.0, 1600.0]


def test_hypervolume_history_by_number_and_time() -> None:
    late_first = [record(0, 0.9, 400, done=100), record(1, 0.8, 100, done=5), record(2, 0.5, 500, done=50)]
    h = data.hypervolume_history(late_first, INFO)
    assert h.numbers == [0, 1, 2]
    assert h.by_number == pytest.approx([0.9 * 150, 0.9 * 150 + 0.8 * 300, 0.9 * 150 + 0.8 * 300])
    assert [t.second for t in h.times] == [5, 50, 40]  # 100 s = 1 min 40 s
    assert h.by_time == pytest.approx([0.8 * 450, 0.8 * 450, 0.9 * 150 + 0.8 * 300])
    assert h.reference == pytest.approx((0.0, 550.0))
    assert all(0.0 <= v <= 1.0 for v in h.normalized(h.by_number))


def test_shape_data_groups_categorical_and_numeric_parameters() -> None:
    shapes = {s.parameter: s for s in design.shape_data(HAND, INFO)}
    assert set(shapes) == {"sr", "bypass"}
    sr, bypass = shapes["sr"], shapes["bypass"]
    assert sr.numeric and not bypass.numeric
    assert sorted(sr.numbers) == [0, 1, 2, 3, 4]  # complete feasible trials only
    assert [(g.value, g.n, g.best_acc) for g in sr.groups] == [(0.125, 1, 0.80), (0.25, 2, 0.85), (0.5, 2, 0.90)]
    assert {g.value: g.n for g in bypass.groups} == {"none": 2, "simple": 2, "complex": 1}
    assert next(g for g in bypass.groups if g.value == "none").median_size == pytest.approx((400 + 1200) / 2)


def test_shape_data_bins_continuous_parameters() -> None:
    rows = [record(i, 0.5 + i / 1000, 100 + i, x=i / 100) for i in range(100)]
    info = StudyInfo("s", INFO.objectives, {}, {}, {}, None, None, False)
    (series,) = design.shape_data(rows, info)
    assert len(series.groups) == design.MAX_GROUPS and sum(g.n for g in series.groups) == 100


@pytest.mark.parametrize("overrides", [
    {}, {"bypass": "complex"}, {"bypass": "simple", "expand3x3": "separable"},
    {"downsample": ["stem", "fire4", "fire8"], "width_multiplier": 0.5, "meta": {"sr": 0.25}},
])
def test_breakdown_sums_equal_cost_totals(overrides: dict[str, Any]) -> None:
    spec = get_preset("squeezenet_cifar", **overrides)
    b = design.breakdown_data(spec.canonical().to_dict())
    total = cost(spec)
    assert sum(sum(v) for v in b.params.values()) == total.params == b.total_params
    assert sum(sum(v) for v in b.macs.values()) == total.macs == b.total_macs
    assert b.groups == ["stem", *[f"fire{i}" for i in range(2, 10)], "classifier"]
    assert {"squeeze", "expand1x1", "expand3x3", "conv"} <= set(b.parts)
    fire3 = b.groups.index("fire3")
    by_name = {layer.name: layer for layer in total.layers}
    assert b.params["squeeze"][fire3] == by_name["fire3.squeeze"].params
    assert ("bypass" in b.parts) == (spec.bypass == "complex")  # simple bypass adds no parameters
    assert b.params["conv"][0] == by_name["stem"].params and b.params["conv"][-1] == by_name["classifier"].params


def test_compare_data_uses_one_reference_for_all_studies() -> None:
    a = [record(0, 0.8, 100), record(1, 0.9, 300)]
    b = [record(0, 0.85, 100), record(1, 0.7, 1000)]
    c = data.compare_data({"a": (INFO, a), "b": (INFO, b)}, "params")
    assert c.reference == pytest.approx((0.0, 1100.0))
    fronts = {f.study: f for f in c.fronts}
    assert fronts["a"].numbers == [0, 1] and fronts["b"].numbers == [0]
    assert fronts["a"].hypervolume == pytest.approx(0.8 * 200 + 0.9 * 800)
    assert fronts["b"].hypervolume == pytest.approx(0.85 * 1000)


def test_three_objective_data_and_pareto_set(study_db: StudyDB) -> None:
    records = rec.load_trials(study_db.url, study_db.three)
    info = rec.load_study_info(study_db.url, study_db.three)
    three = data.three_objective_data(records, info)
    assert three is not None and three.metrics == ("val_acc", "params", "macs")
    front = {n for n, on in zip(three.numbers, three.on_front) if on}
    assert front == {r.number for r in data.pareto_set(records, info)}
    assert all(r.state == "COMPLETE" and r.feasible for r in records if r.number in front)
    assert data.three_objective_data(HAND, INFO) is None


def test_non_dse_study_gets_generic_axes(study_db: StudyDB) -> None:
    records = rec.load_trials(study_db.url, study_db.plain)
    info = rec.load_study_info(study_db.url, study_db.plain)
    assert data.accuracy_metric(info, records) == "objective 0"
    assert data.cost_metrics(info, records) == ["objective 1"]
    d = data.pareto_data(records, info, "objective 1")
    assert len(d.front_numbers()) >= 1 and d.hypervolume > 0
    assert design.shape_data(records, info)[0].parameter == "x"
