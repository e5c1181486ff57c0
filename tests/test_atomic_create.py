"""A new records file appears whole: concurrent openers never see a table-less file."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from linernotes.tools.catalog.atomic import create_sqlite
from linernotes.tools.catalog.records import Records

SCHEMA = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"


def test_many_threads_opening_a_new_catalog_all_get_its_tables(tmp_path: Path) -> None:
    for round_ in range(5):
        path = tmp_path / f"cat{round_}" / "records.sqlite"
        errors: list[BaseException] = []
        start = threading.Barrier(6)

        def open_it(path: Path = path, errors: list[BaseException] = errors, start=start) -> None:
            start.wait()
            try:
                Records(path)
            except BaseException as e:  # recorded: the assertion below names it
                errors.append(e)

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert [p.name for p in path.parent.iterdir() if p.name.endswith(".new")] == []


def test_an_existing_file_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite"
    create_sqlite(path, SCHEMA)
    db = sqlite3.connect(path)
    db.execute("INSERT INTO meta VALUES ('spaces', 'kept')")
    db.commit()
    db.close()
    create_sqlite(path, SCHEMA)  # the loser of a race: must not replace the winner's file
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta").fetchall() == [("kept",)]
    db.close()
