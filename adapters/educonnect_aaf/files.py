"""Finding the files of one AAF1D run in a folder, by their names, chunks in order."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Final

import attrs

from educonnect_aaf.errors import FeedNotFound

__all__ = ["AafRun", "find_run", "is_aaf_name"]

_NAME: Final = re.compile(
    r"^(?P<stem>.*?)_?(?P<kind>EtabEducNat|PersRelEleve|PersEducNat|(?<![A-Za-z])Eleve)"
    r"_(?P<chunk>[0-9]{1,6})\.xml$"
)
_KINDS: Final = ("EtabEducNat", "Eleve", "PersRelEleve")


def is_aaf_name(name: str) -> bool:
    """Whether `name` is the name of an AAF file (of any record type)."""
    return _NAME.match(name) is not None


@attrs.frozen
class AafRun:
    """The files of one run: schools, pupils and guardians, each list in chunk order.

    `complete` is true for « Complet » files (full snapshots of the schools they contain), false
    for « Delta » files (only additions and updates). `ignored` lists the staff files
    (`PersEducNat`) and the other files of the folder, which are not read.
    """

    folder: Path
    complete: bool
    schools: tuple[Path, ...]
    pupils: tuple[Path, ...]
    guardians: tuple[Path, ...]
    ignored: tuple[Path, ...] = ()


def _in_order(folder: Path, kind: str, chunks: dict[int, Path]) -> tuple[Path, ...]:
    numbers = sorted(chunks)
    start = numbers[0]
    if start not in (0, 1) or numbers != list(range(start, start + len(numbers))):
        missing = sorted(set(range(start if start in (0, 1) else 0, numbers[-1])) - set(numbers))
        raise FeedNotFound(
            str(folder), f"fichiers {kind} incomplets : morceau(x) {missing or [0]} manquant(s)"
        )
    return tuple(chunks[n] for n in numbers)


def find_run(folder: Path) -> AafRun:
    """The AAF run held by `folder`. Raises `FeedNotFound` when the folder holds no AAF file,
    more than one extraction (different prefixes or dates), a mix of « Complet » and « Delta »,
    a complete run without one of the three record types, or a gap in the numbered chunks.
    """
    if not folder.is_dir():
        raise FeedNotFound(str(folder), "dossier introuvable")
    chunks: dict[str, dict[int, Path]] = defaultdict(dict)
    stems: set[str] = set()
    ignored: list[Path] = []
    for path in sorted(folder.iterdir()):
        match = _NAME.match(path.name)
        if match is None or not path.is_file() or match["kind"] == "PersEducNat":
            ignored.append(path)
            continue
        stems.add(match["stem"])
        number = int(match["chunk"])
        if number in chunks[match["kind"]]:
            raise FeedNotFound(str(folder), f"morceau {number} de {match['kind']} en double")
        chunks[match["kind"]][number] = path
    if not chunks:
        raise FeedNotFound(str(folder), "aucun fichier AAF (*EtabEducNat_NNNN.xml…) trouvé")
    if len(stems) > 1:
        raise FeedNotFound(str(folder), f"plusieurs extractions mélangées : {sorted(stems)}")
    stem = stems.pop()
    complete = "Complet" in stem
    if complete and "Delta" in stem:
        raise FeedNotFound(str(folder), "extraction à la fois « Complet » et « Delta »")
    if complete and (absent := [k for k in _KINDS if k not in chunks]):
        raise FeedNotFound(str(folder), f"extraction complète sans fichier {', '.join(absent)}")
    ordered = {kind: _in_order(folder, kind, c) for kind, c in chunks.items()}
    return AafRun(
        folder=folder,
        complete=complete,
        schools=ordered.get("EtabEducNat", ()),
        pupils=ordered.get("Eleve", ()),
        guardians=ordered.get("PersRelEleve", ()),
        ignored=tuple(ignored),
    )
