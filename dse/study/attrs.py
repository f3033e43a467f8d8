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
