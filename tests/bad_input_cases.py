"""The bad inputs of issue 15 (and those handled well before it), one row each, for test_bad_input.py.

A row is a `dse` command line run in a fresh folder (``{tmp}`` in an argument is that folder),
after writing ``files`` there (a dict is written as YAML, str as text, bytes as they are).
``existing=True`` runs it next to a finished study ``tiny`` in ``studies/tiny.db``. The command
must exit with ``code`` and print exactly one line on stderr (``stream``) matching ``wrong``
(what is wrong) and ``right`` (what would be right); nothing may be created or changed.
``fixed_on`` names the branch whose fix the row waits for (the row is xfail until it is merged).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

SPACE: dict[str, Any] = {
    "name": "tiny",
    "base": {"preset": "squeezenet_cifar", "width_multiplier": 0.125},
    "train": {"batch_size": 64, "lr": 0.05},
    "parameters": {
        "sr": {"kind": "categorical", "choices": [0.25, 0.5], "target": "meta.sr"},
        "pct3x3": {"kind": "float", "low": 0.1, "high": 0.9, "target": "meta.pct3x3"},
    },
}
STUDY: dict[str, Any] = {
    "name": "tiny",
    "space": SPACE,
    "dataset": "fashion-mnist-mini",
    "budget": {"epochs": 1, "train_subset": 256},
    "sampler": {"name": "random"},
    "pruner": {"mode": "off"},
    "trials": 2,
}


def study(**changes: Any) -> dict[str, Any]:
    """The good study config with top-level fields replaced (None deletes a field)."""
    data = copy.deepcopy(STUDY)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def space(base: dict[str, Any] | None = None, **parameters: Any) -> dict[str, Any]:
    """The good space with its base fields updated and parameters added (None deletes one)."""
    data = copy.deepcopy(SPACE)
    data["base"].update(base or {})
    for name, param in parameters.items():
        if param is None:
            data["parameters"].pop(name)
        else:
            data["parameters"][name] = param
    return data


PNG_ONE_CLASS = "imagefolder-one-class"  # marker: the test writes {tmp}/[data]/imgs/cat/*.png
PNG_TWO_CLASSES = "imagefolder-two-classes"  # marker: {tmp}/imgs/{cat,dog}/*.png
GARBAGE = b"this is not a database\n" * 64


@dataclass(frozen=True)
class Case:
    id: str
    finding: str  # "15.N" (issue 15, finding N) or "handled" (refused well before issue 15)
    argv: tuple[str, ...]
    wrong: str  # regex: the line names what is wrong
    right: str  # regex: ... and what would be right
    files: dict[str, Any] = field(default_factory=dict)
    existing: bool = False
    code: int = 2
    stream: str = "stderr"
    interrupt: bool = False  # Ctrl-C arrives while the first trial runs
    subprocess: bool = False  # run .venv/bin/dse itself (a command that might serve forever)
    port_in_use: bool = False  # {port} in argv is a port some other socket listens on
    fixed_on: str | None = None


S = "study.yaml"
CASES: list[Case] = [
    # ---------------------------------------------------------------- 1: database drivers
    Case("driver-missing-hint-keeps-extra", "15.1",
         ("launch", S, "--storage", "mysql+mysqlconnector://root@127.0.0.1/test"),
         r"mysqlconnector|driver", r"pip install 'dse\[mysql\]'", {S: study()}),
    # ---------------------------------------------------------------- 2: Rich markup
    Case("bracketed-path-printed-intact", "15.2", ("launch", "{tmp}/[data]/imgs/study.yaml"),
         r"/\[data\]/imgs/study\.yaml: no such study file", r"shipped studies: .*quickstart"),
    Case("bracketed-dataset-path-printed-intact", "15.2", ("launch", S),
         r"image folder \S*/\[data\]/nope does not exist", r"imagefolder:DIR (with|needs) DIR/<class>/<image>",
         {S: study(dataset="imagefolder:{tmp}/[data]/nope")}),
    # ---------------------------------------------------------------- 3: every trial would fail
    Case("train-target-typo", "15.3", ("launch", S), r"train\.lrr", r"train\.lr\b",
         {S: study(space=space(lr={"kind": "float", "low": 0.01, "high": 0.1, "target": "train.lrr"}))}),
    Case("imagefolder-one-class", "15.3", ("launch", S), r"\b1 class\b|one class",
         r"at least 2 class", {S: study(dataset="imagefolder:{tmp}/[data]/imgs"),
                                                    PNG_ONE_CLASS: True}),
    Case("pruning-rung-zero", "15.3", ("launch", S), r"rungs", r">= ?1|at least 1|greater than or equal to 1",
         {S: study(pruner={"mode": "pareto", "rungs": [0]})}),
    # rungs not below budget.epochs are not refused: the config branch drops them with a one-line warning
    Case("data-dir-missing", "15.3", ("launch", S, "--data-dir", "{tmp}/nope"), r"nope", r"exist",
         {S: study()}),
    Case("constraints-no-candidate-meets", "15.3", ("launch", S), r"constraints\.max_params: 10 is below",
         r"at least [\d,]+", {S: study(constraints={"max_params": 10})}),
    Case("images-too-small-for-the-architecture", "15.3", ("launch", S), r"4 px input",
         r"larger images \(dataset\.image_size\)",
         {S: study(dataset={"name": "imagefolder:{tmp}/imgs", "image_size": 4},
                   space=space({"preset": "squeezenet1_0"})), PNG_TWO_CLASSES: True}),
    Case("train-choice-refused", "15.3", ("launch", S), r"parameters\.lr\.choices\.1", r"> 0|greater than 0",
         {S: study(space=space(lr={"kind": "categorical", "choices": [0.1, -1.0], "target": "train.lr"}))}),
    Case("no-validation-images", "15.3", ("launch", S), r"0 validation images", r"non-empty",
         {S: study(train={"val_fraction": 1e-05})}),
    # ---------------------------------------------------------------- 4/5: files that are not studies
    *[Case(f"garbage-sqlite-{argv[0]}", "15.4", argv, r"garbage\.db",
           r"not an? .*(Optuna|dse|SQLite|database)", {S: study(), "garbage.db": GARBAGE})
      for argv in (("show", "tiny", "--storage", "sqlite:///garbage.db"),
                   ("studies", "--storage", "sqlite:///garbage.db"),
                   ("resume", "tiny", "--storage", "sqlite:///garbage.db"),
                   ("worker", "tiny", "--storage", "sqlite:///garbage.db"),
                   ("launch", S, "--storage", "sqlite:///garbage.db"),
                   ("report", "tiny", "--storage", "sqlite:///garbage.db", "--out", "r.html"))],
    Case("garbage-sqlite-dashboard", "15.4", ("dashboard", "--storage", "sqlite:///garbage.db", "--port", "{port}"),
         r"garbage\.db", r"not an? .*(Optuna|dse|SQLite|database)", {"garbage.db": GARBAGE},
         subprocess=True),
    # `dse show` of a study made by plain Optuna is not bad input: it shows the study
    # (tests/study/test_cli_study.py::test_show_a_study_made_by_plain_optuna_and_a_csv_in_a_missing_folder)
    Case("show-csv-into-missing-folder", "15.4", ("show", "tiny", "--csv", "{tmp}/missing/dir/a.csv"),
         r"missing/dir", r"exist", existing=True),
    Case("show-on-foreign-sqlite-writes-nothing", "15.5", ("show", "x", "--storage", "sqlite:///other.db"),
         r"other\.db", r"not an? .*(Optuna|dse|study|storage)", {"other.db": "foreign-sqlite"}),
    Case("studies-on-empty-file-writes-nothing", "15.5", ("studies", "--storage", "sqlite:///empty.db"),
         r"empty\.db", r"not an? .*(Optuna|dse|study|storage)|empty", {"empty.db": b""}),
    # ---------------------------------------------------------------- 6: report destination
    Case("report-out-in-missing-folder", "15.6", ("report", "tiny", "--out", "{tmp}/nonexistent/r.html"),
         r"nonexistent.* does not exist", r"existing folder", existing=True),
    # ---------------------------------------------------------------- 7: dashboard port
    Case("dashboard-port-in-use", "15.7", ("dashboard", "--storage", "sqlite:///studies/tiny.db", "--port", "{port}"),
         r"port \d+", r"--port|another port|free", existing=True, subprocess=True, port_in_use=True),
    # ---------------------------------------------------------------- 9: storage URL scheme
    Case("storage-scheme-typo", "15.9", ("launch", S, "--storage", "sqlte:///x.db"),
         r"sqlte", r"sqlite.*postgresql|postgresql.*sqlite", {S: study()}),
    # ---------------------------------------------------------------- interrupts
    Case("ctrl-c-during-resume", "interrupt", ("resume", "tiny"), r"^interrupted:",
         r"dse resume tiny --storage sqlite:///studies/tiny\.db", existing=True, code=130, stream="stdout",
         interrupt=True),
    # ---------------------------------------------------------------- refused well before issue 15
    Case("unknown-yaml-key", "handled", ("launch", S), r"epoch: unknown field", r"allowed: .*budget",
         {S: {**study(), "epoch": 2}}),
    Case("bad-budget-range", "handled", ("launch", S), r"budget\.epochs", r"greater than or equal to 1|>= ?1",
         {S: study(budget={"epochs": 0})}),
    Case("bad-parameter-range", "handled", ("launch", S), r"parameters\.pct3x3", r"low|high",
         {S: study(space=space(pct3x3={"kind": "float", "low": 0.9, "high": 0.1, "target": "meta.pct3x3"}))}),
    Case("unknown-arch-target", "handled", ("launch", S), r"'meta\.srr' is not a field of ArchSpec",
         r"allowed: .*meta\.sr\b", {S: study(space=space(sr={"kind": "categorical", "choices": [0.25],
                                                              "target": "meta.srr"}))}),
    Case("unknown-objective", "handled", ("launch", S), r"objectives", r"val_acc",
         {S: study(objectives=["val_acc", "speed"])}),
    Case("missing-study-file", "handled", ("launch", "{tmp}/nope.yaml"), r"nope\.yaml: no such study file",
         r"shipped studies"),
    Case("missing-storage-file", "handled", ("show", "tiny", "--storage", "sqlite:///missing.db"),
         r"no such SQLite file", r"missing\.db"),
    Case("unknown-study-name", "handled", ("resume", "nope", "--storage", "sqlite:///studies/tiny.db"), r"no study named 'nope'", r"studies there: tiny",
         existing=True),
    Case("changed-config-on-existing-study", "handled", ("launch", S), r"already exists .* different config",
         r"new name|dse resume tiny", {S: study(budget={"epochs": 2, "train_subset": 256})}, existing=True),
    Case("unreachable-postgresql", "handled",
         ("launch", S, "--storage", "postgresql+psycopg2://postgres@127.0.0.1:1/test"),
         r"127\.0\.0\.1:1|cannot be opened", r"refused|running", {S: study()}),
    Case("unreachable-mysql", "handled", ("launch", S, "--storage", "mysql+pymysql://root@127.0.0.1:1/test"),
         r"127\.0\.0\.1:1|cannot be opened", r"refused|running", {S: study()}),
]
