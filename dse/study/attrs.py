"""Names of everything dse stores in an Optuna study, defined once (DESIGN.md, "What a trial stores").

Study user attrs hold what is needed to resume or browse a study from its storage alone; trial
user attrs hold what is needed to rebuild, rank and plot one candidate. Every other module reads
and writes these names through this module.
"""

from __future__ import annotations

# ---- study user attrs
STUDY_CONFIG = "dse:config"  # the study config, as parsed data (dict)
STUDY_SPACE = "dse:space"  # the search space, as parsed data (dict)
STUDY_OBJECTIVES = "dse:objectives"  # [{"name": "val_acc", "direction": "maximize"}, ...]
STUDY_DATASET = "dse:dataset"  # {"name": ..., "num_classes": ..., "image_size": ..., "in_channels": ...}
STUDY_VERSION = "dse:version"  # dse version that created the study
STUDY_CONFIG_HASH = "dse:config_hash"  # hash of the config, to refuse a changed config on relaunch
STUDY_TARGET_TRIALS = "dse:target_trials"  # requested total of completed trials
STUDY_KIND = "dse:kind"  # "retrain" for a companion study NAME.retrain (search studies may say "search")
STUDY_RETRAIN_OF = "dse:retrain_of"  # companion study: the name of the study whose candidates it retrains
STUDY_ARTIFACTS = "dse:artifacts"  # companion study: absolute path of its FileSystemArtifactStore folder
STUDY_RETRAIN_BUDGET = "dse:retrain_budget"  # companion study: {"epochs": E, "train_subset": N or None}
STUDY_RETRAIN_PLAN = "dse:retrain_plan"  # companion study: [[source trial, seed], ...] runs asked for so far
KIND_RETRAIN = "retrain"

# ---- trial user attrs
ARCH_SPEC = "dse:arch"  # canonical ArchSpec.to_dict()
ARCH_HASH = "dse:arch_hash"
ARCH_LABEL = "dse:label"
PARAMS = "dse:params"
MACS = "dse:macs"
SIZE_BYTES = "dse:size_bytes"  # fp32 bytes of the parameters
PEAK_ACT_BYTES = "dse:peak_activation_bytes"
VAL_CURVE = "dse:val_curve"  # per-epoch validation accuracy, list[float]
VAL_ACC = "dse:val_acc"
TRAIN_SECONDS = "dse:train_seconds"
IMAGES_PER_SECOND = "dse:images_per_second"
DEVICE = "dse:device"
SEED = "dse:seed"
STATUS = "dse:status"  # completed | pruned | infeasible | diverged | oom | failed | duplicate
FAIL_REASON = "dse:fail_reason"
PRUNE_REASON = "dse:prune_reason"
DUPLICATE_OF = "dse:duplicate_of"  # trial number whose result was reused
TRAIN_PARAMS = "dse:train"  # training hyperparameters used (dict)
WORKER = "dse:worker"  # host:pid of the worker process that ran the trial
INFEASIBLE_REASON = "dse:infeasible_reason"  # which constraint was violated
# repeats (study option `repeats: k`): VAL_ACC is the mean over the k seeds
VAL_ACC_STD = "dse:val_acc_std"  # standard deviation over the seeds (0.0 for one seed)
VAL_ACC_PER_SEED = "dse:val_acc_per_seed"  # list[float], one per seed, in the order of SEEDS
SEEDS = "dse:seeds"  # list[int], the training seeds of the repeats
# retrain runs (companion study NAME.retrain; SEED is the run's seed, VAL_ACC its validation accuracy)
SOURCE_TRIAL = "dse:source_trial"  # int: trial number in the source study
TEST_ACC = "dse:test_acc"  # float: test-split accuracy (measured by `dse retrain` only)
WEIGHTS_ARTIFACT = "dse:weights_artifact"  # Optuna artifact id of the run's final state_dict

# Cost constraints go through Optuna's own API (trial.set_constraint("max_params", (value - limit) / limit));
# FrozenTrial.constraints then maps each name to its value, > 0 meaning violated.
CONSTRAINTS_KEY = "constraints"  # Optuna's system-attr prefix for constraint values

# ---- objective metrics: name -> (trial attr, direction, axis title)
METRICS: dict[str, tuple[str, str, str]] = {
    "val_acc": (VAL_ACC, "maximize", "validation accuracy"),
    "params": (PARAMS, "minimize", "parameters"),
    "macs": (MACS, "minimize", "multiply-accumulates"),
    "size_bytes": (SIZE_BYTES, "minimize", "model size (fp32 bytes)"),
}
