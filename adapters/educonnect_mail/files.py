"""Writing a message file once: complete or absent, private, never replacing another file.

The bytes go to a temporary file of the target folder (mode 0600, as `mkstemp` makes it), are
flushed to disk, then hard-linked under the first free name; the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["write_once"]


def write_once(folder: Path, data: bytes, names: Iterable[Path]) -> Path | None:
    """Write `data` under the first of `names` (paths in `folder`) that does not exist yet and
    return it; None if every name was taken. Raises `OSError` when the folder cannot be written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        for target in names:
            with contextlib.suppress(FileExistsError):
                os.link(temporary, target)
                return target
        return None
    finally:
        os.unlink(temporary)
