"""The read-only record readers of dse.study._records."""

from __future__ import annotations

import hashlib
from pathlib import Path

import optuna
import pytest

from dse.errors import DseError
from dse.study import _optuna_compat as compat
from dse.study import attrs
from dse.study import _records as rec
from tests.dashboards.conftest import HOSTILE, StudyDB, add_plain_study, make_db
from tests.dashboards.synthetic import Mix, build_study


@pytest.fixture(scope="module")
def study_db(tmp_path_factory: pytest.TempPathFactory) -> StudyDB:
    return make_db(tmp_path_factory.mktemp("records") / "studies.db")


def _digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_summaries_count_trials_by_state(study_db: StudyDB) -> None:
    summaries = {s.name: s for s in rec.list_study_summaries(study_db.url)}
    assert set(summaries) == {"small", "three", HOSTILE, "plain"}
    small = summaries["small"]
    trials = optuna.load_study(study_name="small", storage=study_db.url).get_trials(deepcopy=False)
    for state in optuna.trial.TrialState:
        assert small.counts[state.name] == sum(t.state == state for t in trials)
    assert small.n_trials == 120 and small.dataset == "cifar10"
    assert [o.name for o in small.objectives] == ["val_acc", "params"]
    assert small.last_update == max(t.datetime_complete or t.datetime_start for t in trials).astimezone(small.last_update.tzinfo)
    assert summaries["plain"].dataset is None
    assert [o.name for o in summaries["plain"].objectives] == ["objective 0", "objective 1"]


def test_load_trials_matches_optuna_trial_by_trial(study_db: StudyDB) -> None:
    info = rec.load_study_info(study_db.url, "small")
    records = rec.load_trials(study_db.url, "small")
    frozen = optuna.load_study(study_name="small", storage=study_db.url).get_trials(deepcopy=False)
    assert records == [rec._from_frozen(t, info.objective_names) for t in frozen]
    assert [r.number for r in records] == list(range(120))
    for r, t in zip(records, frozen):
        assert r.state == t.state.name and r.params == t.params
        assert r.arch == t.user_attrs[attrs.ARCH_SPEC] and r.label == t.user_attrs[attrs.ARCH_LABEL]
        assert r.params_count == t.user_attrs[attrs.PARAMS] and r.size_bytes == t.user_attrs[attrs.SIZE_BYTES]


def test_record_fields_by_outcome(study_db: StudyDB) -> None:
    records = rec.load_trials(study_db.url, HOSTILE)
    by_status = {}
    for r in records:
        by_status.setdefault(r.status, r)
    pruned = by_status["pruned"]
    assert pruned.state == "PRUNED" and pruned.val_acc == pruned.val_curve[-1] and pruned.reason
    infeasible = by_status["infeasible"]
    assert infeasible.state == "COMPLETE" and not infeasible.feasible and infeasible.constraints[0] > 0
    assert infeasible.val_acc == 0.0 and infeasible.reason
    failed = by_status["oom"]
    assert failed.state == "FAIL" and failed.values is None and "out of memory" in (failed.reason or "")
    done = by_status["completed"]
    assert done.feasible and done.values == (done.val_acc, float(done.params_count or 0)) and done.train_seconds
    assert records[-1].state == "RUNNING" and records[-1].datetime_complete is None


def test_without_arch_and_single_trial(study_db: StudyDB) -> None:
    light = rec.load_trials(study_db.url, "small", with_arch=False)
    assert all(r.arch is None for r in light) and light[3].label == rec.load_trials(study_db.url, "small")[3].label
    full = rec.load_trial(study_db.url, "small", 3)
    assert full.number == 3 and full.arch is not None
    with pytest.raises(rec.StorageReadError, match="no trial number 999"):
        rec.load_trial(study_db.url, "small", 999)


def test_study_info_and_studies_not_made_by_dse(study_db: StudyDB) -> None:
    info = rec.load_study_info(study_db.url, "three")
    assert info.objective_names == ("val_acc", "params", "macs") and info.is_dse
    assert info.dataset["name"] == "cifar10" and info.target == 80 and "parameters" in info.space
    plain = rec.load_study_info(study_db.url, "plain")
    assert not plain.is_dse and plain.space == {} and plain.target is None
    rows = rec.load_trials(study_db.url, "plain")
    assert len(rows) == 12 and all(r.status == "completed" and r.feasible for r in rows)
    assert rows[0].metric("objective 1") == rows[0].values[1] and rows[0].label == "trial 0"


def test_errors_are_readable_and_nothing_is_created(tmp_path: Path, study_db: StudyDB) -> None:
    missing = tmp_path / "nope.db"
    with pytest.raises(DseError, match="no such SQLite file"):
        rec.list_study_summaries(f"sqlite:///{missing}")
    assert not missing.exists()
    with pytest.raises(rec.StorageReadError, match="no study named 'absent'"):
        rec.load_trials(study_db.url, "absent")


def test_readers_never_write(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    url = f"sqlite:///{path}"
    build_study(url, "s", 30, mix=Mix(running=2))
    add_plain_study(url, n=3)
    before = _digest(path)
    rec.list_study_summaries(url)
    rec.load_study_info(url, "s")
    rec.load_trials(url, "s")
    rec.load_trial(url, "s", 1)
    rec.study_fingerprint(url, "plain")
    assert _digest(path) == before
    assert rec.readonly_url(url).endswith("?mode=ro&uri=true")


def test_fingerprint_changes_when_a_trial_finishes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fp.db'}"
    add_plain_study(url, n=2)
    first = rec.study_fingerprint(url, "plain")
    assert first == rec.study_fingerprint(url, "plain")
    study = optuna.load_study(study_name="plain", storage=url)
    trial = study.ask()
    running = rec.study_fingerprint(url, "plain")
    study.tell(trial, [0.1, 0.2])
    assert len({first, running, rec.study_fingerprint(url, "plain")}) == 3


def test_named_constraints_from_optunas_constraint_api(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = optuna.create_study(storage=url, study_name="c", directions=["maximize", "minimize"])
    dist = {"x": optuna.distributions.FloatDistribution(0, 1)}
    study.add_trial(optuna.trial.create_trial(values=[0.0, 5.0], params={"x": 0.5}, distributions=dist,
                                              constraints={"max_params": 0.25, "max_macs": -0.5}))
    study.add_trial(optuna.trial.create_trial(values=[0.9, 3.0], params={"x": 0.2}, distributions=dist,
                                              constraints={"max_params": -0.1}))
    bad, good = rec.load_trials(url, "c")
    assert sorted(bad.constraints) == [-0.5, 0.25] and not bad.feasible and bad.status == "infeasible"
    assert good.constraints == (-0.1,) and good.feasible and good.status == "completed"


@pytest.fixture
def public_path_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read as on a schema the fast path does not know: through Optuna's public API only."""
    monkeypatch.setattr(compat, "fast_reads_supported", lambda storage: False)


def test_public_path_gives_the_same_records_summaries_and_changes(study_db: StudyDB, monkeypatch) -> None:
    fast = rec.load_trials(study_db.url, "small")
    summaries = rec.list_study_summaries(study_db.url)
    monkeypatch.setattr(compat, "fast_reads_supported", lambda storage: False)
    assert rec.load_trials(study_db.url, "small") == fast
    assert rec.list_study_summaries(study_db.url) == summaries
    assert rec.load_trial(study_db.url, "small", 3) == fast[3]


def test_falls_back_to_the_public_path_when_the_fast_sql_fails(study_db: StudyDB, monkeypatch) -> None:
    import sqlite3

    fast = rec.load_trials(study_db.url, "small")

    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("no such column: trial_user_attributes.value_json")

    monkeypatch.setattr(compat, "read_trial_rows", broken)
    assert rec.load_trials(study_db.url, "small") == fast


def test_public_path_sees_new_and_finished_trials(tmp_path: Path, public_path_only: None) -> None:
    url = f"sqlite:///{tmp_path / 'inc.db'}"
    add_plain_study(url, n=3)
    first = rec.load_trials(url, "plain")
    study = optuna.load_study(study_name="plain", storage=url)
    study.tell(study.ask(), [0.3, 0.4])
    second = rec.load_trials(url, "plain")
    assert len(second) == 4 and second[:3] == first  # read incrementally by Optuna's cached storage
    assert second[3].values == (0.3, 0.4) and second[3].status == "completed"


@pytest.mark.parametrize("content", [b"", b"this is not a database at all" * 50])
def test_a_file_that_is_not_an_optuna_storage_is_refused_and_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(content)
    before = _digest(path)
    for read in (rec.list_study_summaries, lambda url: rec.load_trials(url, "s")):
        with pytest.raises(DseError, match="not an Optuna storage|not a SQLite database") as info:
            read(f"sqlite:///{path}")
        assert "\n" not in str(info.value)
    assert _digest(path) == before and not (tmp_path / "junk.db-wal").exists()


def test_a_sqlite_database_of_another_program_is_refused_untouched(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (x TEXT)")
    con.commit()
    con.close()
    before = _digest(path)
    with pytest.raises(DseError, match="without Optuna's tables, not an Optuna storage"):
        rec.list_study_summaries(f"sqlite:///{path}")
    assert _digest(path) == before


def test_one_status_mapping() -> None:
    from optuna.trial import TrialState, create_trial

    def status(state: TrialState, user: dict, **kw: object) -> str:
        values = [1.0] if state == TrialState.COMPLETE else None
        return rec.trial_status(create_trial(state=state, values=values, user_attrs=user, **kw))

    assert status(TrialState.COMPLETE, {}) == "completed"
    assert status(TrialState.COMPLETE, {attrs.STATUS: "duplicate"}) == "duplicate"
    assert status(TrialState.COMPLETE, {}, system_attrs={"constraints:max_params": 0.2}) == "infeasible"
    assert status(TrialState.FAIL, {attrs.STATUS: "oom"}) == "oom"
    assert status(TrialState.FAIL, {attrs.STATUS: "completed"}) == "failed"  # died after its status was set
    assert status(TrialState.PRUNED, {}) == "pruned"
    assert status(TrialState.WAITING, {}) == "waiting"
