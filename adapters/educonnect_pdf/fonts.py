"""The fonts the documents embed: DejaVu Sans (regular, bold) and, when present, DejaVu Sans
Mono (bold, for passwords), found on the machine and registered with reportlab once.

Every character of French names and typography (é è à ç œ « » ’) and of names from elsewhere
(« Nguyễn ») is in DejaVu; embedding it means no PDF viewer ever substitutes a font. Where the
files are looked for, in order: the `font_dir` given, the ``EDUCONNECT_FONT_DIR`` variable, the
usual system folders (Debian's ``fonts-dejavu-core`` puts them in
``/usr/share/fonts/truetype/dejavu``), then matplotlib's own copy if matplotlib is installed.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import attrs
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from educonnect_pdf.errors import FontNotFound

__all__ = ["FONT_FILES", "MONO_FILE", "FontSet", "font_folders", "register_fonts"]

#: The files needed, by the role they play.
FONT_FILES: Final = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
}
#: The file used for passwords when present (no 0/O or l/1 confusion); bold sans otherwise.
#: Debian 12 ships it in fonts-dejavu-core, Debian 13 in fonts-dejavu-mono.
MONO_FILE: Final = "DejaVuSansMono-Bold.ttf"

#: Where systems keep DejaVu (Debian/Ubuntu, Fedora, Arch, Alpine, macOS with Homebrew).
SYSTEM_FOLDERS: Final = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/dejavu-sans-mono-fonts",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/opt/homebrew/share/fonts",
)

_LOCK = threading.Lock()
_REGISTERED: dict[tuple[str, ...], FontSet] = {}


@attrs.frozen
class FontSet:
    """The reportlab names of the registered fonts."""

    regular: str
    bold: str
    mono: str


def _matplotlib_folder() -> list[str]:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [
        str(Path(location) / "mpl-data" / "fonts" / "ttf")
        for location in spec.submodule_search_locations
    ]


def font_folders(font_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """The folders searched for the font files, in order."""
    folders: list[str] = []
    if font_dir is not None:
        folders.append(os.fspath(font_dir))
    env = os.environ.get("EDUCONNECT_FONT_DIR")
    if env:
        folders.append(env)
    folders += SYSTEM_FOLDERS
    folders += _matplotlib_folder()
    return folders


def _find(folders: Sequence[str]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for role, name in FONT_FILES.items():
        for folder in folders:
            candidate = Path(folder) / name
            if candidate.is_file():
                found[role] = candidate
                break
    missing = [FONT_FILES[role] for role in FONT_FILES if role not in found]
    if missing:
        raise FontNotFound(missing, folders)
    mono = next((Path(f) / MONO_FILE for f in folders if (Path(f) / MONO_FILE).is_file()), None)
    found["mono"] = mono if mono is not None else found["bold"]
    return found


def register_fonts(font_dir: str | os.PathLike[str] | None = None) -> FontSet:
    """Find the DejaVu files and register them with reportlab (once per set of files).

    Raises `FontNotFound` naming the folders searched when a file is missing.
    """
    folders = font_folders(font_dir)
    found = _find(folders)
    key = (str(found["regular"]), str(found["bold"]), str(found["mono"]))
    with _LOCK:
        if key in _REGISTERED:
            return _REGISTERED[key]
        suffix = str(len(_REGISTERED))
        fonts = FontSet(
            regular=f"EduconnectSans{suffix}",
            bold=f"EduconnectSans{suffix}-Bold",
            mono=f"EduconnectMono{suffix}-Bold",
        )
        pdfmetrics.registerFont(TTFont(fonts.regular, str(found["regular"])))
        pdfmetrics.registerFont(TTFont(fonts.bold, str(found["bold"])))
        pdfmetrics.registerFont(TTFont(fonts.mono, str(found["mono"])))
        # Paragraph markup (<b>) in the list's cells maps to the bold face.
        addMapping(fonts.regular, 0, 0, fonts.regular)
        addMapping(fonts.regular, 1, 0, fonts.bold)
        addMapping(fonts.regular, 0, 1, fonts.regular)
        addMapping(fonts.regular, 1, 1, fonts.bold)
        _REGISTERED[key] = fonts
        return fonts
