"""What backplan keeps is its owner's alone: folders 0700, files 0600.

``BACKPLAN_HOME`` holds password hashes and session tokens (``backplan.db``), the
key that signs forms (``secret.key``), the organisation's activity (the event
store) and the raw files people upload and the rows rejected from them. None of
it is for other accounts on the same machine, whatever their umask makes of new
files: each place that creates a folder or a file in the home makes it private
with these helpers, and the ``backplan`` command and the web server also run
with the umask 077 so that files written by libraries (DuckDB, SQLite) start
private too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
PRIVATE_UMASK = 0o077


def private_folder(path: Path) -> Path:
    """``path`` as a folder only its owner may enter: created (with its parents) if missing,
    its group and other permissions removed if it exists."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    _restrict(path, PRIVATE_FOLDER)
    return path


def private_file(path: Path) -> Path:
    """``path`` readable and writable by its owner only (nothing happens if it is missing)."""
    _restrict(path, PRIVATE_FILE)
    return path


def create_private_file(path: Path) -> Path:
    """``path`` created empty with mode 0600 if missing, else made 0600.

    SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file, so a
    database created this way before SQLite opens it keeps all three private.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    return private_file(path)


def private_tree(root: Path) -> Path:
    """Every folder under ``root`` (and itself) 0700, every file 0600; links are left alone."""
    if root.is_dir() and not root.is_symlink():
        for folder, folders, files in os.walk(root):
            _restrict(Path(folder), PRIVATE_FOLDER)
            for name in files:
                _restrict(Path(folder, name), PRIVATE_FILE)
            folders[:] = [f for f in folders if not Path(folder, f).is_symlink()]
    else:
        private_file(root)
    return root


def private_umask() -> int:
    """Make files this process creates from now on private (umask 077); returns the old umask.

    Called once at the process's edge (the ``backplan`` command, the web server's app), never
    inside a library call: the umask belongs to the whole process.
    """
    return os.umask(PRIVATE_UMASK)


def _restrict(path: Path, mode: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        current = path.lstat()
        if os.name == "posix" and current.st_uid != os.geteuid():
            return  # not ours to change (a shared parent folder, say)
        if current.st_mode & 0o777 != mode:
            os.chmod(path, mode)
