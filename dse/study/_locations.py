"""Where a study lives: storage URLs (schemes, drivers, passwords hidden) and SQLite files
(checked without writing, opened read-only). No Optuna storage is opened here."""

from __future__ import annotations

import importlib.util
import sqlite3
import urllib.parse
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from dse.errors import DseError

DRIVERS = {  # scheme -> (SQLAlchemy driver name, module), preferred first; extra that installs one
    "sqlite": ((), ""),
    "postgresql": ((("psycopg", "psycopg"), ("psycopg2", "psycopg2")), "postgres"),
    "mysql": ((("pymysql", "pymysql"), ("mysqldb", "MySQLdb")), "mysql"),
}
URL_FORMS = "sqlite:///PATH, postgresql://USER@HOST/DB or mysql://USER@HOST/DB"


class StorageError(DseError):
    """The storage URL cannot be opened."""


class DatabaseUnavailable(StorageError):
    """The database stayed unreachable (or locked) through every retry."""


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


# ------------------------------------------------------------------------------ URLs and files
def parse_url(url: str) -> URL:
    """``url`` with a known scheme and, for a bare scheme, the installed driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"storage {url!r} is not a database URL; use {URL_FORMS}") from None
    backend = parsed.get_backend_name()
    if backend not in DRIVERS:
        raise StorageError(f"storage {safe_url(url)}: unknown database {backend!r}; dse knows {URL_FORMS}")
    drivers, extra = DRIVERS[backend]
    if "+" in parsed.drivername or not drivers:
        return parsed
    for driver, module in drivers:
        if importlib.util.find_spec(module) is not None:
            return parsed.set(drivername=f"{backend}+{driver}")
    raise StorageError(f"storage {safe_url(url)}: database driver missing (none of "
                       f"{', '.join(m for _, m in drivers)}); install it with: pip install 'dse[{extra}]'")


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.database.startswith("file:"):
        return Path(urllib.parse.unquote(parsed.database[5:].split("?", 1)[0]))
    return Path(parsed.database)


def _sqlite_tables(path: Path, url: str) -> set[str]:
    """The tables of SQLite file ``path``, read without writing; one line when it is no database."""
    try:
        con = sqlite3.connect(f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro", uri=True)
        try:
            return {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"storage {url}: {path} is not a SQLite database ({exc})") from None


def check_sqlite_storage(path: Path, url: str, *, allow_new: bool) -> None:
    """Refuse a SQLite file that is not an Optuna storage (``allow_new``: an empty one is fine)."""
    tables = _sqlite_tables(path, url)
    if "studies" in tables and "trials" in tables:
        return
    if allow_new and not tables:
        return
    kind = "an empty file" if not tables else "a SQLite database without Optuna's tables"
    raise StorageError(f"storage {url}: {path} is {kind}, not an Optuna storage; give the file a dse "
                       "study was launched with")


def readonly_url(url: str) -> str:
    """``url`` made read-only where the driver allows it (SQLite files: ``mode=ro``)."""
    parsed = parse_url(url)
    path = sqlite_path(url)
    if path is None or parsed.database.startswith("file:"):
        return parsed.render_as_string(hide_password=False)
    query = urllib.parse.urlencode([(k, v) for k, vs in parsed.query.items()
                                    for v in ((vs,) if isinstance(vs, str) else vs)
                                    if k not in ("mode", "uri")] + [("mode", "ro"), ("uri", "true")])
    return f"sqlite:///file:{urllib.parse.quote(str(path.expanduser().resolve()))}?{query}"
