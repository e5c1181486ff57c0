"""Lexical index of the catalog: BM25 search, exact/prefix name lookup, "did you mean".

SQLite FTS5 with BM25 over titles, artists, albums, tags and captions.

Caption vectors find tracks whose *description* is close to the words asked; they do
not reliably find the track *tagged* "punk rock" when someone types "punk rock" (the
offline captions are long, templated paragraphs). BM25 does: a rare word that occurs
in a track's tags or title is exactly the evidence a keyword search should rank first.
Fusing both lists (reciprocal rank fusion in ``tools.catalog.search``) is the pairing
TalkPlay-Tools uses (BM25 + SQL filters + embeddings).

The index is self-contained: ``index_tracks(records)`` upserts, ``search(query, k)``
ranks, ``lookup(name)`` finds a title, artist or album exactly or by prefix (never by
fuzzy match, which would silently swap "Kid A" for "Kind Lagoon"), and
``did_you_mean(name)`` offers near misses for the answer to *say*, never to use.
It lives in ``<catalog>/lexical.sqlite``; ``lexical_for(catalog)`` rebuilds it when it
is out of step with the catalog (an older catalog, or a write from another process).
"""

from __future__ import annotations

import difflib
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linernotes.tools.schemas import Track

FILE = "lexical.sqlite"
COLUMNS = ("title", "artist", "album", "tags", "caption")
WEIGHTS = (4.0, 3.0, 2.0, 4.0, 0.5)
"""BM25 weight per column: names and tags are what a person types; a caption is long
and templated, so a word in it counts for little."""
NAME_FIELDS = ("title", "artist", "album")
_WORD = re.compile(r"[0-9a-z]+(?:'[a-z]+)?")


def normalise(name: str) -> str:
    """Lower case, punctuation to spaces, single spaces: how names are compared."""
    return " ".join(re.findall(r"[0-9a-z]+", name.lower()))


@dataclass(frozen=True)
class NameHit:
    """A catalog track whose title, artist or album matches a name."""

    track_id: str
    field: str
    value: str
    exact: bool


class LexicalIndex:
    """An FTS5 table of track texts and a name table; thread-safe, one connection.

    Args:
        path: SQLite file, or ``":memory:"`` for an index that lives with the process.
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        with self._db:
            self._db.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5("
                "id UNINDEXED, title, artist, album, tags, caption, "
                "tokenize='porter unicode61')"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS names (id TEXT, field TEXT, value TEXT, norm TEXT)"
            )
            self._db.execute("CREATE INDEX IF NOT EXISTS names_norm ON names(norm)")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS facets (id TEXT PRIMARY KEY, tag TEXT, genre TEXT, "
                "instruments TEXT)"
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM docs").fetchone()[0])

    def complete(self) -> bool:
        """Every indexed track has its facets (an index from an older version may not)."""
        with self._lock:
            docs = self._db.execute("SELECT count(*) FROM docs").fetchone()[0]
            facets = self._db.execute("SELECT count(*) FROM facets").fetchone()[0]
        return bool(docs == facets)

    def ids(self) -> set[str]:
        """Every indexed track id."""
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT id FROM docs")}

    def index_tracks(self, tracks: Iterable[Track]) -> None:
        """Add or replace these tracks (by id)."""
        rows = list(tracks)
        with self._lock, self._db:
            for t in rows:
                self._db.execute("DELETE FROM docs WHERE id = ?", (t.id,))
                self._db.execute("DELETE FROM names WHERE id = ?", (t.id,))
                s = getattr(t, "summary", None)
                self._db.execute(
                    "INSERT OR REPLACE INTO facets VALUES (?, ?, ?, ?)",
                    (
                        t.id,
                        (getattr(t, "genre_tag", None) or "").lower(),
                        (getattr(s, "genre", None) or "").lower(),
                        "\n".join(getattr(s, "instruments", ())),
                    ),
                )  # stand-ins in tests may carry only a title
                said = (getattr(t, "genre_tag", None), getattr(s, "genre", None))
                tags = " ; ".join(x for x in (*said, *getattr(s, "instruments", ())) if x)
                self._db.execute(
                    "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        t.id,
                        t.title,
                        getattr(t, "artist", None) or "",
                        getattr(t, "album", None) or "",
                        tags,
                        getattr(t, "caption", ""),
                    ),
                )
                for field in NAME_FIELDS:
                    value = getattr(t, field, None)
                    if value:
                        self._db.execute(
                            "INSERT INTO names VALUES (?, ?, ?, ?)",
                            (t.id, field, value, normalise(value)),
                        )

    def remove(self, ids: Iterable[str]) -> None:
        """Forget these tracks."""
        with self._lock, self._db:
            for i in ids:
                for table in ("docs", "names", "facets"):
                    self._db.execute(f"DELETE FROM {table} WHERE id = ?", (i,))

    def facets(self) -> list[tuple[str, str, list[str]]]:
        """Distinct (genre tag, listener's genre, instruments) of the indexed tracks.

        What the request reader needs to know what the catalog can honour, without
        loading every track record (``tools.reason.vocabulary.grounding_for``).
        """
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT tag, genre, instruments FROM facets")
            return [(t, g, [x for x in i.split("\n") if x]) for t, g, i in rows.fetchall()]

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """The ``k`` best tracks for the words of ``query`` by BM25, best first.

        Every word is optional (OR): a track matching more and rarer words ranks higher.
        Returns ``(track_id, score)`` with score > 0, higher is better; no words, no hits.
        """
        words = list(dict.fromkeys(_WORD.findall(query.lower())))
        if not words or k <= 0:
            return []
        match = " OR ".join('"' + w.replace('"', "") + '"' for w in words)
        weights = ", ".join(str(w) for w in WEIGHTS)
        sql = (
            f"SELECT id, bm25(docs, 0, {weights}) AS s FROM docs WHERE docs MATCH ? "
            "ORDER BY s LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, (match, int(k))).fetchall()
        return [(r[0], -float(r[1])) for r in rows]  # FTS5's bm25 is lower-is-better

    def lookup(self, name: str, field: str | None = None) -> list[NameHit]:
        """Tracks whose title/artist/album is ``name`` (exact) or starts with it (prefix).

        Exact matches come first; a prefix needs at least 4 characters and must end at a
        word boundary or cover 80% of the name, so "Kid A" never matches "Kind Lagoon" or
        "Kid Afternoon". Case and punctuation are ignored.
        """
        norm = normalise(name)
        if not norm:
            return []
        fields = (field,) if field else NAME_FIELDS
        marks = ",".join("?" * len(fields))
        with self._lock:
            exact = self._db.execute(
                f"SELECT id, field, value FROM names WHERE norm = ? AND field IN ({marks})",
                (norm, *fields),
            ).fetchall()
            prefix = []
            if len(norm) >= 4:
                rows = self._db.execute(
                    f"SELECT id, field, value, norm FROM names WHERE substr(norm, 1, ?) = ? "
                    f"AND norm != ? AND field IN ({marks})",
                    (len(norm), norm, norm, *fields),
                ).fetchall()
                # A whole-word prefix ("music for" of "Music for Airports"), or nearly the
                # whole name ("music for airport"); "Kid A" never reaches "Kid Afternoon".
                prefix = [
                    (i, f, v) for i, f, v, n in rows
                    if n[len(norm)] == " " or len(norm) >= 0.8 * len(n)
                ]  # fmt: skip
        return [NameHit(i, f, v, True) for i, f, v in exact] + [
            NameHit(i, f, v, False) for i, f, v in prefix
        ]

    def did_you_mean(self, name: str, n: int = 3, field: str | None = None) -> list[str]:
        """Names close to ``name`` (difflib), for the answer to offer, never to use."""
        return [value for value, _ in self.near(name, n=n, field=field)]

    def near(self, name: str, n: int = 3, field: str | None = None) -> list[tuple[str, float]]:
        """Names close to ``name``, best first, with their difflib ratio (>= 0.6)."""
        norm = normalise(name)
        fields = (field,) if field else NAME_FIELDS
        marks = ",".join("?" * len(fields))
        with self._lock:
            rows = self._db.execute(
                f"SELECT DISTINCT value, norm FROM names WHERE field IN ({marks})", fields
            ).fetchall()
        by_norm = {norm_: value for value, norm_ in rows}
        close = difflib.get_close_matches(norm, list(by_norm), n=n, cutoff=0.6)
        return [(by_norm[c], difflib.SequenceMatcher(None, norm, c).ratio()) for c in close]

    def close(self) -> None:
        """Close the database (the index is unusable afterwards)."""
        with self._lock:
            self._db.close()


_OPEN: dict[str, LexicalIndex] = {}
_OPEN_LOCK = threading.Lock()


def lexical_for(catalog: Any) -> LexicalIndex:
    """The lexical index of ``catalog``, kept next to it and rebuilt when out of step.

    A catalog without a folder (tests' stand-ins) gets an in-memory index.
    """
    folder = getattr(catalog, "folder", None)
    path = str(Path(folder) / FILE) if folder else f":memory:{id(catalog)}"
    with _OPEN_LOCK:
        index = _OPEN.get(path)
        if index is None:
            index = LexicalIndex(path if folder else ":memory:")
            _OPEN[path] = index
    if len(index) != len(catalog) or not index.complete():
        tracks = catalog.tracks()
        index.remove(index.ids() - {t.id for t in tracks})
        index.index_tracks(tracks)
    return index


def keep_in_step(catalog: Any, tracks: Iterable[Track]) -> None:
    """Index tracks just written to ``catalog`` (called on upsert)."""
    folder = getattr(catalog, "folder", None)
    if not folder:
        return
    lexical_for_path(Path(folder) / FILE).index_tracks(tracks)


def lexical_for_path(path: Path) -> LexicalIndex:
    """The open index at ``path`` (opened once per process)."""
    key = str(path)
    with _OPEN_LOCK:
        if key not in _OPEN:
            _OPEN[key] = LexicalIndex(path)
        return _OPEN[key]
