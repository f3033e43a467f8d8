"""The study engine end to end on a tiny space: launch, storage contents, resume, refusal, reuse."""

from __future__ import annotations

import optuna
import pytest

from dse.study import attrs
from dse.study._config import config_from_data, load_config
from dse.study._runner import StudyExistsError, status_counts
from dse.study._session import reopen, start

from .conftest import tiny_config

pytestmark = pytest.mark.slow


def test_launch_stores_everything_and_optuna_reads_it(study_yaml) -> None:
    config = load_config(study_yaml())
    session = start(config)
    outcome = session.run()
    assert outcome.stopped_by == "target"
    study = optuna.load_study(study_name="tiny", storage=config.storage)  # plain Optuna, no dse
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 3
    for key in (attrs.STUDY_CONFIG, attrs.STUDY_SPACE, attrs.STUDY_OBJECTIVES, attrs.STUDY_DATASET, attrs.STUDY_VERSION):
        assert key in study.user_attrs
    assert study.user_attrs[attrs.STUDY_DATASET]["name"] == "fashion-mnist-mini"
    for t in done:
        ua = t.user_attrs
        for key in (attrs.ARCH_SPEC, attrs.ARCH_HASH, attrs.PARAMS, attrs.MACS, attrs.SIZE_BYTES, attrs.VAL_CURVE,
                    attrs.TRAIN_SECONDS, attrs.IMAGES_PER_SECOND, attrs.DEVICE, attrs.SEED):
            assert key in ua, key
        assert t.values[1] == ua[attrs.PARAMS]
        assert 0.0 <= t.values[0] <= 1.0 and len(ua[attrs.VAL_CURVE]) == 1


def test_infeasible_candidates_are_never_trained(study_yaml, monkeypatch) -> None:
    import dse.study._objective as objective

    def boom(*args, **kwargs):
        raise AssertionError("an infeasible candidate was trained")

    monkeypatch.setattr(objective, "train_candidate", boom)
    # launch refuses a study whose every candidate is infeasible (dse.study._preflight); run one anyway
    monkeypatch.setattr("dse.study._session.preflight", lambda *args, **kwargs: None)
    config = load_config(study_yaml(constraints={"max_params": 10}, trials=2))
    session = start(config)
    outcome = session.run(target=2, timeout=10)
    counts = status_counts(session.study)
    assert counts["infeasible"] >= 1 and counts["completed"] == 0 and counts["failed"] == 0
    trial = session.study.trials[0]
    assert trial.user_attrs[attrs.STATUS] == "infeasible"
    assert "params" in trial.user_attrs[attrs.INFEASIBLE_REASON]
    assert outcome.stopped_by in ("timeout", "fruitless")  # whichever comes first: 10 s or 200 infeasible


def test_interrupted_study_resumes_to_exact_total(study_yaml, monkeypatch) -> None:
    import dse.study._objective as objective

    real = objective.train_candidate
    calls = {"n": 0}

    def interrupt_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(objective, "train_candidate", interrupt_second)
    config = load_config(study_yaml(trials=3))
    with pytest.raises(KeyboardInterrupt):
        start(config).run()
    study = optuna.load_study(study_name="tiny", storage=config.storage)
    states = [t.state for t in study.trials]
    assert states == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL]
    monkeypatch.setattr(objective, "train_candidate", real)
    session = reopen("tiny", config.storage)
    session.run(target=3)
    counts = status_counts(session.study)
    assert counts["completed"] + counts["duplicate"] == 3
    assert counts["running"] == 0


def test_changed_config_is_refused_and_same_config_continues(study_yaml, tmp_path) -> None:
    config = load_config(study_yaml(trials=1))
    start(config).run()
    again = start(config)  # same config: continues
    assert len(again.study.trials) == 1
    changed = config_from_data(tiny_config(tmp_path, budget={"epochs": 2, "train_subset": 256}))
    with pytest.raises(StudyExistsError, match="changed: budget"):
        start(changed)


def test_resume_needs_no_yaml_files(study_yaml) -> None:
    path = study_yaml(trials=1)
    config = load_config(path)
    start(config).run()
    path.unlink()
    session = reopen("tiny", config.storage)
    assert session.config.space == config.space
    session.run(target=2)
    assert status_counts(session.study)["completed"] + status_counts(session.study)["duplicate"] == 2


def test_duplicate_candidate_is_not_retrained(tmp_path, monkeypatch) -> None:
    import dse.study._objective as objective

    space = {
        "name": "one", "description": "a single architecture",
        "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.125},
        "parameters": {"sr": {"kind": "categorical", "choices": [0.5], "target": "meta.sr"},
                       "alpha": {"kind": "categorical", "choices": [0.125], "target": "width_multiplier"}},
    }
    config = config_from_data(tiny_config(tmp_path, space=space, trials=2))
    real = objective.train_candidate
    calls = {"n": 0}

    def counting(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(objective, "train_candidate", counting)
    session = start(config)
    session.run()
    first, second = session.study.trials
    assert calls["n"] == 1
    assert second.user_attrs[attrs.STATUS] == "duplicate"
    assert second.user_attrs[attrs.DUPLICATE_OF] == first.number
    assert second.values == first.values
