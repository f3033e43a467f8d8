"""Every bad input is refused up front, in one line, with nothing written (issue 15).

Each row of ``tests/bad_input_cases.py`` runs the real CLI (in-process with Typer's CliRunner, or in
a subprocess for commands that could serve forever) in a fresh folder and checks: the exit
code, exactly one line on the error stream naming what is wrong and what would be right, no
traceback, no file created or changed in the folder, and a finished study's trials unchanged.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from typer.testing import CliRunner

from dse.cli import app
from tests.bad_input_cases import CASES, PNG_ONE_CLASS, PNG_TWO_CLASSES, Case, study
from tests.data.writers import write_png_folder

SIDECARS = ("-wal", "-shm", "-journal")
runner = CliRunner()


# --------------------------------------------------------------------------- the folder
def _fill(value: Any, tmp: Path) -> Any:
    if isinstance(value, str):
        return value.replace("{tmp}", str(tmp))
    if isinstance(value, dict):
        return {k: _fill(v, tmp) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, tmp) for v in value]
    return value


def _write(tmp: Path, name: str, content: Any) -> None:
    if name == PNG_ONE_CLASS:
        write_png_folder(tmp / "[data]" / "imgs", ["cat"], 12, (16, 16))
        return
    if name == PNG_TWO_CLASSES:
        write_png_folder(tmp / "imgs", ["cat", "dog"], 12, (16, 16))
        return
    path = tmp / name
    if content == "foreign-sqlite":  # an SQLite database of some other program
        with closing(sqlite3.connect(path)) as con:
            con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
            con.execute("INSERT INTO notes (text) VALUES ('keep me')")
            con.commit()
    elif isinstance(content, dict):
        path.write_text(yaml.safe_dump(_fill(content, tmp)))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(_fill(content, tmp))


def _make_wal(path: Path) -> None:
    with closing(sqlite3.connect(path)) as con:
        con.execute("PRAGMA journal_mode=WAL")  # what dse's storage sets; the copy starts out so
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _sqlite_dump(path: Path) -> str | None:
    """The database's content (WAL included), or None when ``path`` is not an SQLite database."""
    with path.open("rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
            return "\n".join(con.iterdump())
    except sqlite3.Error as exc:
        return f"unreadable: {exc}"


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` with its content hash (and SQLite content)."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.endswith(SIDECARS):  # SQLite's own side files come and go with connections
            continue
        if path.is_dir():
            out[rel] = "folder"
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        dump = _sqlite_dump(path)
        out[rel] = digest if dump is None else f"{digest} {hashlib.sha256(dump.encode()).hexdigest()}"
    return out


def finished_trials(db: Path, scratch: Path) -> list[tuple[Any, ...]]:
    """The finished trials of study ``tiny`` in ``db``, read from a copy (so reading changes nothing)."""
    scratch.mkdir(exist_ok=True)
    copy = scratch / "copy.db"
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as src, closing(sqlite3.connect(copy)) as dst:
        src.backup(dst)
    trials = optuna.load_study(study_name="tiny", storage=f"sqlite:///{copy}").get_trials(deepcopy=False)
    return [(t.number, t.state.name, t.values, t.params, t.user_attrs) for t in trials if t.state.is_finished()]


# --------------------------------------------------------------------------- a finished study
def _make_existing(folder: Path) -> Path:
    """``folder/studies/tiny.db``: the good study config with two finished trials (no training)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    from dse.arch import cost
    from dse.study import attrs
    from dse.study._config import config_from_data
    from dse.study._runner import create_or_continue
    from dse.study._session import load_space_for

    db = folder / "studies" / "tiny.db"
    db.parent.mkdir(parents=True)
    config = config_from_data({**study(), "storage": f"sqlite:///{db}"}, "study.yaml")
    space = load_space_for(config)
    made, _ = create_or_continue(config, space.to_data(), {"name": "fashion-mnist-mini", "num_classes": 10,
                                                            "image_size": 28, "in_channels": 1})
    fixed = {"in_channels": 1, "input_size": 28, "num_classes": 10}
    distributions = {"sr": CategoricalDistribution([0.25, 0.5]), "pct3x3": FloatDistribution(0.1, 0.9)}
    for i, sr in enumerate((0.25, 0.5)):
        params = {"sr": sr, "pct3x3": 0.5}
        spec = space.candidate(params, fixed).spec
        c = cost(spec)
        acc = 0.6 + 0.1 * i
        made.add_trial(optuna.trial.create_trial(
            params=params, distributions=distributions, values=[acc, c.params],
            user_attrs={attrs.ARCH_SPEC: spec.canonical().to_dict(), attrs.ARCH_HASH: spec.arch_hash(),
                        attrs.ARCH_LABEL: spec.label(), attrs.PARAMS: c.params, attrs.MACS: c.macs,
                        attrs.SIZE_BYTES: c.size_bytes("fp32"), attrs.VAL_ACC: acc, attrs.VAL_CURVE: [acc],
                        attrs.STATUS: "completed"},
        ))
    _make_wal(db)
    return db


@pytest.fixture(scope="module")
def existing_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_existing(tmp_path_factory.mktemp("existing"))


def _copy_db(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as a, closing(sqlite3.connect(dst)) as b:
        a.backup(b)
    _make_wal(dst)


# --------------------------------------------------------------------------- running the CLI
@contextmanager
def _port(in_use: bool) -> Iterator[int]:
    """A port some socket listens on (``in_use``), or one that was free a moment ago."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        if in_use:
            sock.listen()
            yield port
            return
    yield port


def _run(case: Case, argv: list[str], tmp: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str, Any]:
    if case.subprocess:
        dse = [sys.executable, "-c", "from dse.cli import main; main()"]  # what the `dse` script runs
        try:
            proc = subprocess.run([*dse, *argv], cwd=tmp, capture_output=True, text=True, timeout=180)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`dse {' '.join(argv)}` still ran after 180 s instead of refusing")
        return proc.returncode, proc.stdout, proc.stderr, None
    from dse.study._session import Session

    def run(*args: Any, **kwargs: Any) -> Any:
        if case.interrupt:
            raise KeyboardInterrupt  # Ctrl-C while the first trial trains
        raise AssertionError("the study went on to run trials instead of refusing")  # fail fast, no training

    monkeypatch.setattr(Session, "run", run)
    result = runner.invoke(app, argv, terminal_width=100)
    return result.exit_code, result.stdout, result.stderr, result.exception


def _params() -> list[Any]:
    out = []
    for case in CASES:
        marks = [pytest.mark.slow] if case.subprocess else []
        if case.fixed_on:
            marks.append(pytest.mark.xfail(reason=f"fixed on branch {case.fixed_on}", strict=False))
        out.append(pytest.param(case, id=f"{case.finding}-{case.id}", marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_bad_input_is_refused_in_one_line_with_nothing_written(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    tmp = tmp_path / "work"
    tmp.mkdir()
    monkeypatch.chdir(tmp)
    monkeypatch.setenv("DSE_CACHE_DIR", str(tmp_path / "cache"))  # the data cache lives elsewhere
    monkeypatch.delenv("DSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    db = tmp / "studies" / "tiny.db"
    if case.existing:
        _copy_db(request.getfixturevalue("existing_db"), db)
    for name, content in case.files.items():
        _write(tmp, name, content)
    before = snapshot(tmp)
    trials = finished_trials(db, tmp_path / "scratch") if case.existing else None

    with _port(case.port_in_use) as port:
        argv = [a.replace("{tmp}", str(tmp)).replace("{port}", str(port)) for a in case.argv]
        code, stdout, stderr, exc = _run(case, argv, tmp, monkeypatch)

    shown = f"`dse {' '.join(argv)}` exited {code}\nstdout: {stdout}\nstderr: {stderr}"
    assert exc is None or isinstance(exc, SystemExit), f"{shown}\nraised {exc!r}"
    assert "Traceback" not in stdout + stderr, shown
    assert code == case.code, shown
    lines = [line for line in (stderr if case.stream == "stderr" else stdout).splitlines() if line.strip()]
    if case.stream != "stderr":  # an interrupt: the progress bar's last state, then one line
        assert stderr.strip() == "", shown
        lines = [line for line in lines if re.search(case.wrong, line)] or lines[-1:]
    assert len(lines) == 1, f"expected exactly one line on {case.stream}\n{shown}"
    assert re.search(case.wrong, lines[0]), f"does not name what is wrong ({case.wrong})\n{shown}"
    assert re.search(case.right, lines[0]), f"does not say what would be right ({case.right})\n{shown}"
    after = snapshot(tmp)
    assert after == before, f"files created or changed: {sorted(set(after.items()) ^ set(before.items()))}\n{shown}"
    assert not (tmp / "studies" / "tiny.db").exists() or case.existing, shown
    if trials is not None:
        assert finished_trials(db, tmp_path / "scratch") == trials, shown


def test_every_finding_has_a_row() -> None:
    findings = {case.finding for case in CASES}
    assert {"15.1", "15.2", "15.3", "15.4", "15.5", "15.6", "15.7", "15.9", "handled"} <= findings
    assert len({case.id for case in CASES}) == len(CASES)


def test_yaml_12_numbers_are_numbers(tmp_path: Path) -> None:
    """Finding 8: ``lr: 1e6`` is a number (YAML 1.2), not the string PyYAML 1.1 reads."""
    from dse.study._config import load_config

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(study()).replace("lr: 0.05", "lr: 1e6"))
    assert "lr: 1e6" in path.read_text()
    assert load_config(path).model_dump()["space"]["train"]["lr"] == 1e6


def test_rich_markup_never_eats_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 2: brackets in messages, hints, tables and 'wrote PATH' lines print as they are."""
    result = runner.invoke(app, ["spaces"], terminal_width=250)
    assert result.exit_code == 0 and "[fire3, fire5]" in result.stdout  # was printed as ", , ,"
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["launch", "/x/[data]/imgs.yaml"])
    assert result.stderr.strip().startswith("error: /x/[data]/imgs.yaml: no such study file")


def test_fail_prints_the_hint_intact(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from dse.cli import fail
    from dse.errors import DseError

    with pytest.raises(typer.Exit):
        fail(DseError("storage x: database driver missing; install it with: pip install 'dse[postgres]'\n(2nd line)"))
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'dse[postgres]' (2nd line)" in err


def test_a_fruitless_stop_names_the_most_common_reason() -> None:
    """Finding 3: the stop no longer only says "loosen the constraints" when trials fail for another reason."""
    from dse.cli import fruitless
    from dse.study import attrs

    made = optuna.create_study(directions=["maximize", "minimize"])
    for i in range(5):
        reason = "num_classes: must be >= 2, got 1" if i else "diverged: non-finite loss at step 4"
        made.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL,
                                                 user_attrs={attrs.FAIL_REASON: reason}))
    message = str(fruitless(made, "tiny"))
    assert "most often, 4 of 5: num_classes: must be >= 2, got 1" in message
    assert message.endswith("fix that, or loosen the constraints of tiny")
