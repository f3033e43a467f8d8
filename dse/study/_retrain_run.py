"""Running ``dse retrain``: the companion study ``NAME.retrain`` and its (candidate, seed) runs.

Each run is one trial of the companion study, created with ``study.enqueue_trial`` with fixed
params ``source_trial`` and ``seed`` (also stored as user attrs), and run by dse's ordinary worker
loop (``Session.run``: heartbeats, dead-worker recovery, exact targets, ``dse worker``). A rerun
enqueues only the pairs without a finished run, so nothing finished is trained twice. The test
split is evaluated here and nowhere else; the final weights become an Optuna artifact.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import optuna

import dse
from dse.study import attrs
from dse.study._objective import TrialFailed, cost_values
from dse.study._retrain import RetrainError, companion_name, is_retrain_study, open_readonly, upload_weights
from dse.study._retrain_plan import Pair, RetrainPlan, pair_states
from dse.study._runner import POLL_SECONDS, RunOutcome, load_stored_config
from dse.study._session import Session, load_data_for
from dse.study._database import open_storage, safe_url


@dataclass
class RetrainObjective:
    """The objective of a companion study: train source trial ``source_trial`` with ``seed``."""

    source: optuna.Study
    data: Any
    budget: dict[str, Any]  # {"epochs": E, "train_subset": N or None}
    artifacts: str
    device: str = "auto"
    quiet: bool = True
    timings: list[tuple[float, float]] = field(default_factory=list)

    def __call__(self, trial: optuna.Trial) -> float:
        from dse.arch import ArchSpec, build, cost
        from dse.train import Budget, TrainConfig, train_candidate

        start = time.perf_counter()
        source_number, seed = self._pair(trial)
        trial.suggest_int("source_trial", source_number, source_number)  # plain Optuna sees them as params
        trial.suggest_int("seed", seed, seed)
        src = self.source.trials[source_number]
        spec = ArchSpec.from_dict(src.user_attrs[attrs.ARCH_SPEC])
        c = cost(spec)
        train = {**src.user_attrs.get(attrs.TRAIN_PARAMS, {}), "seed": seed}
        for key, value in {
            attrs.SOURCE_TRIAL: source_number, attrs.SEED: seed, attrs.ARCH_SPEC: spec.canonical().to_dict(),
            attrs.ARCH_HASH: spec.arch_hash(), attrs.ARCH_LABEL: spec.label(), attrs.PARAMS: c.params,
            attrs.MACS: c.macs, attrs.SIZE_BYTES: cost_values(c)["size_bytes"],
            attrs.PEAK_ACT_BYTES: c.peak_activation_bytes, attrs.TRAIN_PARAMS: train,
        }.items():
            trial.set_user_attr(key, value)
        built: list[Any] = []

        def factory() -> Any:
            built.append(build(spec))
            return built[-1]

        try:
            result = train_candidate(factory, self.data, TrainConfig(**train), Budget(**self.budget),
                                     device=self.device, evaluate_test=True, quiet=self.quiet)
        except (TypeError, ValueError) as exc:
            self._fail(trial, "failed", f"bad training setup: {exc}")
        except Exception as exc:  # noqa: BLE001 - a crash of one run is recorded, the others go on
            self._fail(trial, "failed", f"{type(exc).__name__}: {exc}")
        for key, value in {
            attrs.VAL_CURVE: [float(v) for v in result.val_curve], attrs.VAL_ACC: float(result.val_acc),
            attrs.TRAIN_SECONDS: result.train_seconds, attrs.IMAGES_PER_SECOND: result.images_per_second,
            attrs.DEVICE: result.device,
        }.items():
            trial.set_user_attr(key, value)
        if result.status != "completed":
            self._fail(trial, result.status, result.reason or result.status)
        trial.set_user_attr(attrs.TEST_ACC, float(result.test_acc) if result.test_acc is not None else None)
        trial.set_user_attr(attrs.WEIGHTS_ARTIFACT, upload_weights(trial, built[-1].state_dict(), self.artifacts))
        trial.set_user_attr(attrs.STATUS, "completed")
        self.timings.append((time.perf_counter() - start, result.wall_seconds))
        return float(result.val_acc)

    def _pair(self, trial: optuna.Trial) -> Pair:
        ua = trial.user_attrs
        if isinstance(ua.get(attrs.SOURCE_TRIAL), int) and isinstance(ua.get(attrs.SEED), int):
            return ua[attrs.SOURCE_TRIAL], ua[attrs.SEED]
        if "source_trial" in trial.params and "seed" in trial.params:
            return int(trial.params["source_trial"]), int(trial.params["seed"])
        todo = unclaimed_pairs(trial.study)  # a fresh trial (no queued one left): take an open pair
        if not todo:
            self._fail(trial, "skipped", "no (candidate, seed) run left to take")
        return todo[0]

    @staticmethod
    def _fail(trial: optuna.Trial, status: str, reason: str) -> None:
        trial.set_user_attr(attrs.STATUS, status)
        trial.set_user_attr(attrs.FAIL_REASON, reason[:2000])
        raise TrialFailed(reason)


def planned_pairs(study: optuna.Study) -> list[Pair]:
    return [tuple(p) for p in study.user_attrs.get(attrs.STUDY_RETRAIN_PLAN, [])]  # type: ignore[misc]


def unclaimed_pairs(study: optuna.Study) -> list[Pair]:
    """Planned pairs that no run has finished, holds or queues, and that did not fail this round."""
    states = pair_states(study)
    return [p for p in planned_pairs(study) if states.get(p, "open") == "open"]


class _NothingLeft(Exception):
    pass


class RetrainSession(Session):
    """A Session on a companion study: the run loop stops once every planned pair is finished or
    failed, and waits (instead of asking for a trial) while the last ones run elsewhere."""

    def run(self, target: int | None = None, timeout: float | None = None,
            on_trial: Callable[[optuna.Study, Any], None] | None = None,
            follow_stored_target: bool = False) -> RunOutcome:
        start = time.monotonic()

        def gate(study: optuna.Study, counts: Any) -> None:
            import warnings

            from dse.study._runner import status_counts

            while True:
                if on_trial is not None:
                    on_trial(study, counts)
                states = pair_states(study)
                plan = planned_pairs(study)
                mine = [states.get(p, "open") for p in plan]
                if any(s in ("open", "waiting") for s in mine):
                    return
                if "running" not in mine:
                    raise _NothingLeft
                if timeout is not None and time.monotonic() - start >= timeout:
                    return
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    optuna.storages.fail_stale_trials(study)  # a dead worker's run is failed and queued again
                time.sleep(POLL_SECONDS)
                counts = status_counts(study)

        target = target or len(planned_pairs(self.study)) or 1
        try:
            return super().run(target, timeout, gate, follow_stored_target)
        except _NothingLeft:
            from dse.study._runner import status_counts

            counts = status_counts(self.study)
            if on_trial is not None:
                on_trial(self.study, counts)
            return RunOutcome(counts, target, time.monotonic() - start, "target")


def open_companion(plan: RetrainPlan) -> tuple[optuna.Study, int]:
    """Create or continue ``NAME.retrain``, queue every pair without a finished run; returns the
    study and the target of completed runs. A companion made at another budget is refused."""
    req = plan.request
    name = companion_name(req.name)
    storage = open_storage(req.storage)
    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        study = None
    if study is not None:
        stored = study.user_attrs.get(attrs.STUDY_RETRAIN_BUDGET)
        if not is_retrain_study(study):
            raise RetrainError(f"study {name!r} in {safe_url(req.storage)} exists and is not a dse retrain study; "
                               "rename or delete it")
        if stored is not None and stored != plan.budget:
            subset = stored.get("train_subset") or "all"
            raise RetrainError(f"{name} was trained with --epochs {stored.get('epochs')} --train-subset {subset}; "
                               f"rerun with those (runs at other budgets are not comparable) or delete {name}")
    else:
        study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
        for key, value in {
            attrs.STUDY_KIND: attrs.KIND_RETRAIN, attrs.STUDY_RETRAIN_OF: req.name,
            attrs.STUDY_ARTIFACTS: str(plan.artifacts), attrs.STUDY_RETRAIN_BUDGET: plan.budget,
            attrs.STUDY_OBJECTIVES: [{"name": "val_acc", "direction": "maximize"}],
            attrs.STUDY_DATASET: plan.source.user_attrs.get(attrs.STUDY_DATASET, {}),
            attrs.STUDY_VERSION: dse.__version__,
        }.items():
            study.set_user_attr(key, value)
    if req.artifacts:
        study.set_user_attr(attrs.STUDY_ARTIFACTS, str(plan.artifacts))
    states = pair_states(study)
    plan_pairs = list(dict.fromkeys([*planned_pairs(study), *plan.pairs]))
    study.set_user_attr(attrs.STUDY_RETRAIN_PLAN, [list(p) for p in plan_pairs])
    for source_number, seed in plan.pairs:
        if states.get((source_number, seed), "open") in ("open", "failed"):
            study.enqueue_trial({"source_trial": source_number, "seed": seed},
                                user_attrs={attrs.SOURCE_TRIAL: source_number, attrs.SEED: seed})
    done = sum(1 for s in states.values() if s == "done")
    todo = sum(1 for p in plan.pairs if states.get(p, "open") not in ("done", "closed"))
    target = done + todo
    study.set_user_attr(attrs.STUDY_TARGET_TRIALS, max(1, target))
    return study, target


def retrain_session(study: optuna.Study, source: optuna.Study, config: Any, data: Any, *,
                    artifacts: str, device: str = "auto", quiet: bool = True) -> RetrainSession:
    budget = dict(study.user_attrs.get(attrs.STUDY_RETRAIN_BUDGET) or {})
    objective = RetrainObjective(source, data, budget, artifacts, device=device, quiet=quiet)
    study.sampler = optuna.samplers.RandomSampler()  # every trial is queued with fixed params
    return RetrainSession(study, objective, config, None)  # type: ignore[arg-type]


def start_retrain(plan: RetrainPlan, *, device: str = "auto", quiet: bool = True) -> tuple[RetrainSession, int]:
    """Open the companion study for ``plan`` and a session that runs its queued pairs."""
    study, target = open_companion(plan)
    artifacts = study.user_attrs.get(attrs.STUDY_ARTIFACTS, str(plan.artifacts))
    return retrain_session(study, plan.source, plan.config, plan.data, artifacts=artifacts, device=device,
                           quiet=quiet), target


def is_companion(name: str, storage: str) -> bool:
    """True when ``name`` in ``storage`` is a retrain companion study (``dse:kind`` = retrain)."""
    try:
        study = optuna.load_study(study_name=name, storage=open_readonly(storage))
    except Exception:  # noqa: BLE001 - not there or not readable: the ordinary worker path says why
        return False
    return is_retrain_study(study)


def join_retrain(name: str, storage: str, *, data_dir: str | None = None, device: str = "auto",
                 quiet: bool = True, threads: int | None = None, index: int | None = None) -> RetrainSession:
    """``dse worker NAME.retrain``: join a companion study from its storage alone."""
    from dse.study._workers import set_threads

    set_threads(threads)
    opened = open_storage(storage, create=False, wait=True)
    study = optuna.load_study(study_name=name, storage=opened)
    source_name = study.user_attrs.get(attrs.STUDY_RETRAIN_OF)
    try:
        source = optuna.load_study(study_name=source_name, storage=opened)
    except KeyError:
        raise RetrainError(f"{name}: its source study {source_name!r} is not in {safe_url(storage)}") from None
    config = load_stored_config(source)
    data = load_data_for(config, data_dir)
    artifacts = study.user_attrs.get(attrs.STUDY_ARTIFACTS)
    if not artifacts:
        raise RetrainError(f"{name} does not name its artifact folder; start it with `dse retrain ... --artifacts DIR`")
    return retrain_session(study, source, config, data, artifacts=artifacts, device=device, quiet=quiet)
