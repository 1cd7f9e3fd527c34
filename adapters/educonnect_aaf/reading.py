"""What a feed reader gives back: the snapshot to integrate, the records it left out, and the
warnings about what it read but could not use completely.
"""

from __future__ import annotations

from typing import NamedTuple

import attrs

from educonnect_core.domain.directory import DirectorySnapshot
from educonnect_core.services.integration import Rejection

__all__ = ["FeedReading", "FeedWarning"]


@attrs.frozen
class FeedWarning:
    """Something read but not (fully) used, that does not leave a record out: an unknown
    attribute, an unknown level code, a malformed optional e-mail dropped, merged duplicates.

    `count` says how many records share this warning (unknown attributes are reported once per
    file and name, not once per record).
    """

    source: str
    record: str
    field: str
    reason: str
    count: int = 1

    def __str__(self) -> str:
        times = f" (×{self.count})" if self.count > 1 else ""
        return f"{self.source}: {self.record}: {self.field}: {self.reason}{times}"


class FeedReading(NamedTuple):
    """The result of reading a feed: give `snapshot` and `rejections` to
    `EduConnect.integrate(snapshot, rejections)`; show `warnings` to the person running the import.

    A tuple, so that ``snapshot, rejections, warnings = read_feed(path)`` works.
    """

    snapshot: DirectorySnapshot
    rejections: tuple[Rejection, ...]
    warnings: tuple[FeedWarning, ...]
