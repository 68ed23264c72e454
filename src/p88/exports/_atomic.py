"""Writing an export so that a crash never leaves half of it: a temporary file (or
directory) beside the target, renamed over it only when complete.

An existing target is refused unless ``force``; with ``force`` a file is replaced by one
``os.replace`` and a directory by a rename of the old one aside, the new one in, and the
old one removed, so a reader sees the old site or the new one, never a mix.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from p88.errors import InputError, RefusedError

__all__ = ["check_target", "write_directory", "write_file"]

T = TypeVar("T")


def check_target(target: Path, *, force: bool, directory: bool) -> None:
    """Refuse before any work: an existing target without ``force``, a target of the
    other kind (a file where a directory goes), or a parent that does not exist."""
    if target.exists() or target.is_symlink():
        if not force:
            raise RefusedError(
                f"{target} exists", rule="no-overwrite", hint="pass --force to replace it"
            )
        if directory != target.is_dir():
            kind = "a directory" if target.is_dir() else "a file"
            raise InputError(f"{target} is {kind}; this format writes "
                             + ("a directory" if directory else "a file"),
                             what="output path", where="--out")  # fmt: skip
    if not target.parent.is_dir():
        raise InputError(
            f"no directory {target.parent} to write {target.name} in",
            what="output path", where="--out",
        )  # fmt: skip


def write_file(target: Path, write: Callable[[Path], T], *, force: bool) -> T:
    """Run ``write(tmp)`` on a temporary file beside ``target``, then rename it into place."""
    check_target(target, force=force, directory=False)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        result = write(tmp)
        os.chmod(tmp, 0o644)
        if not force and target.exists():
            raise RefusedError(f"{target} exists", rule="no-overwrite",
                               hint="pass --force to replace it")  # fmt: skip
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return result


def write_directory(target: Path, write: Callable[[Path], T], *, force: bool) -> T:
    """Run ``write(tmpdir)`` on a temporary directory beside ``target``, then move it in."""
    check_target(target, force=force, directory=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    old: Path | None = None
    try:
        result = write(tmp)
        os.chmod(tmp, 0o755)
        if target.exists():
            if not force:
                raise RefusedError(f"{target} exists", rule="no-overwrite",
                                   hint="pass --force to replace it")  # fmt: skip
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.rename(target, old)
        os.rename(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return result
