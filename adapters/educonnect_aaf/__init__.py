"""Directory-feed adapter: AAF1D XML files and the ONDE CSV extraction into a DirectorySnapshot.

    >>> from educonnect_aaf import read_feed
    >>> snapshot, rejections, warnings = read_feed("ENT1D_20250901/")  # doctest: +SKIP
    >>> report = app.integrate(snapshot, rejections)  # doctest: +SKIP

Readers stream XML with the standard library's C parser behind a prolog guard: XML bombs and
external entities are refused with `HostileXml`; an unreadable file stops the whole run with a
`FeedError` before anything is returned, so nothing is integrated half-read. For national-scale
runs, `integrate_feed(app, path)` stages the run on disk and integrates it group by group of
schools, in bounded memory.
"""

from educonnect_aaf.aaf1d import read_aaf1d, read_run
from educonnect_aaf.errors import FeedError, FeedNotFound, HostileXml, UnreadableFile
from educonnect_aaf.feed import read_feed
from educonnect_aaf.files import AafRun, find_run
from educonnect_aaf.integration import FeedIntegration, integrate_feed
from educonnect_aaf.onde import SYNTHETIC_INE_PREFIX, is_synthetic_ine, read_onde
from educonnect_aaf.reading import FeedReading, FeedWarning
from educonnect_aaf.records import AafRecord, iter_records
from educonnect_aaf.staging import FeedGroup, StagedRun, stage_run

__all__ = [
    "SYNTHETIC_INE_PREFIX",
    "AafRecord",
    "AafRun",
    "FeedError",
    "FeedGroup",
    "FeedIntegration",
    "FeedNotFound",
    "FeedReading",
    "FeedWarning",
    "HostileXml",
    "StagedRun",
    "UnreadableFile",
    "find_run",
    "integrate_feed",
    "is_synthetic_ine",
    "iter_records",
    "read_aaf1d",
    "read_feed",
    "read_onde",
    "read_run",
    "stage_run",
]
