"""`dse retrain` end to end on a tiny study (2 candidates x 2 seeds, stand-in trainer): the
companion study, plain Optuna reading it, weights loading into build(spec), resuming after
Ctrl-C without redoing finished runs, `dse show` with the confirmed front."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
from typer.testing import CliRunner

from dse.arch import ArchSpec, build
from dse.cli import app
from dse.study import attrs
from dse.study._retrain import retrained_weights
from dse.study._retrain_plan import RetrainRequest, plan_retrain
from dse.study._retrain_run import start_retrain

pytestmark = pytest.mark.slow
runner = CliRunner()


def test_end_to_end_two_candidates_two_seeds(finished_study, retrain_trainer, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "220")
    storage, _ = finished_study
    fake = retrain_trainer()
    args = ["retrain", "tiny", "--storage", storage, "--seeds", "2", "--epochs", "3", "--json"]
    result = runner.invoke(app, args, terminal_width=220)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout[result.stdout.index("["):])
    assert [r["trial"] for r in rows] == [0, 1]  # the Pareto set, cheapest first
    first = rows[0]
    assert first["brief_val_acc"] == 0.5 and first["seeds"] == [0, 1]
    assert first["val_acc_mean"] == pytest.approx(0.705) and first["val_acc_std"] == pytest.approx(0.00707, abs=1e-4)
    assert first["test_acc_mean"] == pytest.approx(0.695) and first["params"] > 0
    assert rows[1]["on_brief_front"] and not rows[1]["on_confirmed_front"]
    assert sorted(fake.calls) == [(0.25, 0), (0.25, 1), (0.5, 0), (0.5, 1)]

    # plain Optuna reads the companion: one trial per (candidate, seed), params naming both
    study = optuna.load_study(study_name="tiny.retrain", storage=storage)
    assert study.user_attrs[attrs.STUDY_KIND] == "retrain" and study.user_attrs[attrs.STUDY_RETRAIN_OF] == "tiny"
    assert sorted((t.params["source_trial"], t.params["seed"]) for t in study.trials) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert study.user_attrs[attrs.STUDY_RETRAIN_BUDGET] == {"epochs": 3, "train_subset": None}
    assert Path(study.user_attrs[attrs.STUDY_ARTIFACTS]) == (tmp_path / "tiny.artifacts").resolve()

    # the weights of the best seed load into build(spec)
    w = retrained_weights(storage, "tiny", 1)
    assert w.seed == 1 and w.val_acc == pytest.approx(0.66)
    build(ArchSpec.from_dict(w.spec)).load_state_dict(w.state_dict)

    # rerunning does nothing new; `dse show` adds the confirmed front and the rank agreement
    result = runner.invoke(app, args[:-1], terminal_width=220)
    assert result.exit_code == 0, result.output
    assert len(fake.calls) == 4 and len(optuna.load_study(study_name="tiny.retrain", storage=storage).trials) == 4
    result = runner.invoke(app, ["show", "tiny", "--storage", storage], terminal_width=220)
    assert result.exit_code == 0, result.output
    assert "Confirmed front of tiny" in result.output and "70.50% ± 0.71" in result.output
    assert "Spearman rho -1.00, Kendall tau -1.00" in result.output
    assert "dropped off the confirmed front: trial 1" in result.output

    # the report and the study page draw the confirmed front (error bars) and the brief-vs-full scatter
    from dse.dashboard.confirmed import figures_for
    from dse.dashboard.report import write_report

    front, scatter = figures_for(storage, "tiny")
    retrained = front.data[1]
    assert list(retrained.y) == pytest.approx([70.5, 65.5]) and list(retrained.error_y.array) == pytest.approx([0.7071, 0.7071], abs=1e-3)
    assert "Spearman rho -1.00" in scatter.layout.title.text
    html = write_report(storage, "tiny", tmp_path / "report.html").read_text()
    assert 'id="confirmed-front"' in html and html.count("confirmed-0") >= 1
    assert figures_for(storage, "nope") == []


def test_interrupted_retrain_resumes_without_redoing_finished_runs(finished_study, retrain_trainer) -> None:
    storage, _ = finished_study
    fake = retrain_trainer(interrupt_at=2)  # Ctrl-C during the third run
    request = RetrainRequest("tiny", storage, seeds=2, epochs=1)
    session, target = start_retrain(plan_retrain(request))
    assert target == 4
    with pytest.raises(KeyboardInterrupt):
        session.run(target)
    study = optuna.load_study(study_name="tiny.retrain", storage=storage)
    states = [t.state for t in study.trials]
    assert states.count(optuna.trial.TrialState.COMPLETE) == 2 and optuna.trial.TrialState.FAIL in states
    finished = sorted(fake.calls)
    session, target = start_retrain(plan_retrain(request))
    assert target == 4
    session.run(target)
    assert len(fake.calls) == 4 and sorted(fake.calls[2:]) != finished  # only the two missing runs
    assert sorted(fake.calls) == [(0.25, 0), (0.25, 1), (0.5, 0), (0.5, 1)]
    done = [t for t in optuna.load_study(study_name="tiny.retrain", storage=storage).trials
            if t.state == optuna.trial.TrialState.COMPLETE]
    assert sorted((t.user_attrs[attrs.SOURCE_TRIAL], t.user_attrs[attrs.SEED]) for t in done) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all(attrs.WEIGHTS_ARTIFACT in t.user_attrs and attrs.TEST_ACC in t.user_attrs for t in done)
