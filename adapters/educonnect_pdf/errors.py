"""The errors of the PDF adapter."""

from __future__ import annotations

from collections.abc import Sequence

from educonnect_core.errors import EduconnectError

__all__ = ["FontNotFound"]


class FontNotFound(EduconnectError):
    """The Unicode TrueType font the documents embed (DejaVu Sans) is not on this machine.

    `searched` lists the folders looked in; `missing` the file names not found there.
    """

    def __init__(self, missing: Sequence[str], searched: Sequence[str]) -> None:
        self.missing = tuple(missing)
        self.searched = tuple(searched)
        super().__init__(
            f"font files {', '.join(self.missing)} not found in {', '.join(self.searched)}; "
            "install Debian's fonts-dejavu-core (`make fonts`) or set EDUCONNECT_FONT_DIR"
        )
        self.french = (
            "La police DejaVu Sans nécessaire aux documents PDF est introuvable sur ce serveur."
        )
