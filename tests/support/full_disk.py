"""Filling a private tmpfs to the last byte (tests of "the disk is full" without touching the real disk)."""

from __future__ import annotations

import errno
from pathlib import Path


def fill_file(path: Path) -> Path:
    """Write ``path`` until the file system is full: big chunks, then pages, then single bytes, so no
    page is left with room for a record."""
    with path.open("wb", buffering=0) as fh:
        for chunk in (65536, 4096, 1):
            try:
                while True:
                    fh.write(b"\0" * chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    return path
