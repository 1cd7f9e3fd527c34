"""One entry point for the command line: read whatever feed a path holds."""

from __future__ import annotations

from pathlib import Path

from educonnect_aaf.aaf1d import read_aaf1d
from educonnect_aaf.errors import FeedNotFound
from educonnect_aaf.files import is_aaf_name
from educonnect_aaf.onde import PUPILS_FILE, RESPONSABLES_FILE, read_onde
from educonnect_aaf.reading import FeedReading
from educonnect_core.domain.values import Uai

__all__ = ["is_onde", "read_feed"]


def is_onde(path: Path) -> bool:
    """Whether `path` is an ONDE extraction (its folder or one of its CSV files)."""
    if path.is_dir():
        return (path / PUPILS_FILE).is_file() or (path / RESPONSABLES_FILE).is_file()
    return path.name in {PUPILS_FILE, RESPONSABLES_FILE} or path.suffix.lower() == ".csv"


def read_feed(
    path: Path | str,
    *,
    uai: str | Uai | None = None,
    school_name: str | None = None,
    assume_ine: bool = True,
) -> FeedReading:
    """Read the feed at `path`: a folder of AAF1D files (or one of its files), or an ONDE
    extraction (its folder, or one of its two CSV files; `uai` and `school_name` are then
    required). Returns ``(snapshot, rejections, warnings)``; raises a `FeedError` when the path
    holds no known feed or any of its files cannot be read — nothing is returned half-read.
    """
    target = Path(path)
    if not target.exists():
        raise FeedNotFound(str(target), "chemin introuvable")
    if is_onde(target):
        if uai is None or not school_name:
            raise FeedNotFound(
                str(target), "extraction ONDE : l’UAI et le nom de l’école doivent être donnés"
            )
        return read_onde(target, uai=uai, school_name=school_name, assume_ine=assume_ine)
    if target.is_file() and is_aaf_name(target.name):
        target = target.parent
    return read_aaf1d(target)
