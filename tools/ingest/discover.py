"""Find the audio files under the paths given to ingest, and report every path it could not read.

A real library is messier than a test folder: symlinked folders (followed, with loop
detection), folders that cannot be listed, dangling links, links that loop back into
their own ancestors, and names that are not valid UTF-8 (a byte name from an old disk or
a Windows share). None of these may stop an ingest or vanish silently: each one becomes a
``Skip`` with its reason, and the other files go on. See ARCHITECTURE.md "Ingest".
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from linernotes.tools.audio import AUDIO_EXTENSIONS
from linernotes.tools.errors import ConfigError

# fmt: off
AUDIO_LIKE_EXTENSIONS = frozenset({
    ".m4a", ".m4b", ".aac", ".alac", ".wma", ".aifc", ".caf", ".w64", ".rf64", ".au", ".snd",
    ".mp2", ".mpga", ".ape", ".wv", ".mka", ".amr", ".spx", ".tta", ".dsf", ".dff", ".voc",
    ".sd2", ".nist", ".sph", ".ircam", ".pvf",
})
# fmt: on
"""Extensions of audio formats that may or may not decode here: attempted, and reported
with the reason when they fail, so the user learns why a file is missing. Video
containers (.mp4, .webm) are left out: in a music folder they are videos, not tracks."""


def is_audio_like(path: Path) -> bool:
    """Whether a file's extension says it is (or may be) audio worth attempting."""
    suffix = path.suffix.lower()
    return suffix in AUDIO_EXTENSIONS or suffix in AUDIO_LIKE_EXTENSIONS


def printable(path: str | Path) -> str:
    r"""``path`` as text that can be printed, stored in SQLite and written as JSON.

    A name that is not valid UTF-8 arrives as a str with lone surrogates
    (``surrogateescape``); those cannot be encoded anywhere, so the raw bytes are shown
    as ``\\xff`` escapes instead.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def is_printable(path: str | Path) -> bool:
    """Whether ``path`` is valid text (no undecodable bytes in its name)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class Scan:
    """What discovery found: audio files to ingest and paths it could not read, with why."""

    files: list[Path] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (printable path, reason)
    links: dict[str, str] = field(default_factory=dict)  # real path -> the link it was found as

    def refuse(self, path: str | Path, reason: str) -> None:
        """Report ``path`` as unreadable, naming it in printable form."""
        self.problems.append((printable(path), reason))


def _bad_name(path: Path) -> str:
    return (
        f"cannot ingest {printable(path)}: its name is not valid UTF-8 text; "
        "rename the file (e.g. with `convmv`) and ingest again"
    )


class _Walker:
    """Depth-first walk that follows symlinks and knows which real folders it is inside."""

    def __init__(self, scan: Scan) -> None:
        self.scan = scan
        self.found: set[Path] = set()
        self.seen_dirs: set[tuple[int, int]] = set()

    def add_file(self, path: Path) -> None:
        if not is_printable(path):
            self.scan.refuse(path, _bad_name(path))
            return
        real = Path(os.path.realpath(path))
        if real != path.absolute() and str(real) not in self.scan.links:
            self.scan.links[str(real)] = printable(path.absolute())  # said by the name listed
        self.found.add(real)

    def walk(self, folder: Path, ancestors: tuple[tuple[int, int], ...]) -> None:
        try:
            st = folder.stat()
        except OSError as e:
            self.scan.refuse(folder, f"cannot read folder {printable(folder)}: {e.strerror or e}")
            return
        key = (st.st_dev, st.st_ino)
        if key in ancestors:
            self.scan.refuse(
                folder,
                f"symlink loop: {printable(folder)} leads back to a folder that contains it; "
                "not followed",
            )
            return
        if key in self.seen_dirs:
            return  # the same folder reached by a second link: its files are listed once
        self.seen_dirs.add(key)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: os.fsencode(e.name))
        except OSError as e:
            self.scan.refuse(
                folder, f"cannot list folder {printable(folder)}: {e.strerror or e}; "
                "its files were not ingested (check its permissions)"
            )  # fmt: skip
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue  # ._song.mp3 is macOS metadata, .git is not music
            self.entry(Path(entry.path), entry, (*ancestors, key))

    def entry(self, path: Path, entry: os.DirEntry[str], ancestors: tuple) -> None:
        try:
            is_dir = entry.is_dir(follow_symlinks=True)
            is_file = not is_dir and entry.is_file(follow_symlinks=True)
        except OSError as e:
            self.scan.refuse(path, f"cannot read {printable(path)}: {e.strerror or e}")
            return
        if entry.is_symlink() and not (is_dir or is_file) and not os.path.exists(path):
            target = printable(os.readlink(path))
            if is_audio_like(path) or not Path(target).suffix or is_audio_like(Path(target)):
                self.scan.refuse(
                    path, f"dangling symlink {printable(path)} -> {target}: target not found"
                )
            return
        if is_dir:
            if not is_printable(path):
                self.scan.refuse(path, _bad_name(path))
                return
            self.walk(path, ancestors)
        elif is_file and is_audio_like(path):
            self.add_file(path)


def scan_paths(paths: Sequence[str | Path]) -> Scan:
    """Every audio-looking file under ``paths`` (recursive, symlinks followed), and problems.

    A file named directly is always attempted, whatever its extension (the user asked for
    it). Inside folders, hidden files and folders are passed over. Files come back
    absolute (symlinks resolved), sorted and once each.

    Raises:
        ConfigError: a path given does not exist.
    """
    scan = Scan()
    walker = _Walker(scan)
    for raw in paths:
        root = Path(raw).expanduser()
        if root.is_file():
            walker.add_file(root)
        elif root.is_dir():
            walker.walk(root, ())
        elif root.is_symlink():
            scan.refuse(root, f"dangling symlink {printable(root)} -> "
                        f"{printable(os.readlink(root))}: target not found")  # fmt: skip
        else:
            raise ConfigError(f"cannot ingest {printable(root)}: no such file or folder")
    scan.files = sorted(walker.found)
    scan.problems.sort()
    return scan
