"""Integrating a feed of any size with bounded memory: staged on disk, applied group by group.

`integrate_feed(app, path)` reads the whole AAF1D run first (`stage_run`: every file read, every
rejection known, nothing applied yet), then calls `app.integrate` once per group of
`batch_schools` schools. Each group is a complete snapshot of its schools, so departures work as
in one call. What differs from one `app.integrate(snapshot)` of the whole run:

- **Atomicity per group.** Each group is its own unit of work. A failure part-way leaves the
  earlier groups applied; since integration is idempotent, running the same feed again
  completes the run. An unreadable or hostile file is still refused before anything is applied.
- **Pupils changing group.** A stored pupil whose school is in this group but who is, in the
  run, in a school of a later group is *kept as stored* here (instead of leaving and coming back)
  and moved by its new school's group: its links, birth-date correction and counts are those of
  a single call.
- **Guardians in several groups** are in each group's snapshot (their links need them). The
  summed report counts each guardian once: a repeated appearance is taken off « unchanged »
  (an account already existed) or « without account » (none yet).
- **Logins of homonyms.** New guardians get their logins group by group; two new homonyms in
  different groups may get their numbers (`jean.dupont2`, `jean.dupont3`) in the other order than
  one call would give. The audit trail has one INTEGRATE entry per group.

An ONDE extraction (one school) is integrated in one call.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Final

import attrs

from educonnect_aaf.errors import FeedNotFound
from educonnect_aaf.feed import is_onde, read_feed
from educonnect_aaf.files import find_run, is_aaf_name
from educonnect_aaf.reading import FeedWarning
from educonnect_aaf.staging import (
    DEFAULT_BATCH_GUARDIANS,
    DEFAULT_BATCH_SCHOOLS,
    FeedGroup,
    StagedGroup,
    StagedRun,
    stage_run,
)
from educonnect_core.application import EduConnect
from educonnect_core.domain.directory import DirectorySnapshot
from educonnect_core.domain.values import Uai
from educonnect_core.services.delta import DirectoryChanges, close_changes, integrate_changes
from educonnect_core.services.integration import (
    IntegrationReport,
    Rejection,
    Unchanged,
    by_name,
)

__all__ = ["FeedIntegration", "integrate_feed"]

_MOVED: Final = "pupil integrated with the group of its new school"
_COUNTS: Final = tuple(f.name for f in attrs.fields(IntegrationReport) if f.default == 0)


@attrs.frozen
class FeedIntegration:
    """The result of `integrate_feed`.

    `report` sums the groups' reports (each guardian, pupil and link counted once, every
    rejection once); `warnings` are the reader's; `groups` is how many calls to
    `EduConnect.integrate` were made; `repeated_guardians` how many times a guardian was given
    again in a later group (taken off the counts).
    """

    report: IntegrationReport
    warnings: tuple[FeedWarning, ...]
    groups: int
    repeated_guardians: int = 0


#: Called after each group is committed with the group and its own report (progress; raising
#: stops the run there: the groups before stay applied).
GroupDone = Callable[[FeedGroup, IntegrationReport], None]


@attrs.define
class _Totals:
    counts: dict[str, int] = attrs.Factory(lambda: dict.fromkeys(_COUNTS, 0))
    rejected: list[Rejection] = attrs.Factory(list)
    groups: int = 0
    repeated: int = 0
    ineligible: dict[str, str] = attrs.Factory(dict)
    #: Guardians without an account so far; one given an account by a later group leaves.
    without: dict[str, str] = attrs.Factory(dict)

    def add(self, report: IntegrationReport, own: int, repeated: Iterable[str] = ()) -> None:
        """Add a group's report; its first `own` rejections are ours, already counted;
        `repeated`: the guardians given again in this group.
        """
        for name in _COUNTS:
            self.counts[name] += getattr(report, name)
        self.rejected.extend(report.rejected[own:])
        self.groups += 1
        self.ineligible.update(report.ineligible_pupils)
        here = dict(report.guardians_without_account)
        for rid in repeated:
            if rid not in here:
                self.without.pop(rid, None)
        self.without.update(here)

    def add_group(
        self, report: IntegrationReport, own: int, repeated: tuple[str, ...], known: int
    ) -> None:
        """Add a group's report (`add`), then take its `repeated` guardians off the counts:
        « unchanged » for the `known` ones (an account already existed: an earlier group
        created or updated it), else « without account » (created here at most, and then its
        earlier groups counted it without account).
        """
        self.add(report, own, repeated)
        self.counts["accounts_unchanged"] -= known
        self.counts["without_account"] -= len(repeated) - known
        self.repeated += len(repeated)

    def report(self, earlier: tuple[Rejection, ...]) -> IntegrationReport:
        return IntegrationReport(
            **self.counts,
            rejected=(*earlier, *self.rejected),
            ineligible_pupils=by_name(self.ineligible.items()),
            guardians_without_account=by_name(self.without.items()),
        )


def _integrate_group(
    app: EduConnect, staged: StagedRun, group: FeedGroup, totals: _Totals
) -> IntegrationReport:
    """The full path: `EduConnect.integrate` on the whole group."""
    snapshot = group.snapshot
    uais = {s.uai for s in snapshot.schools}
    with app.runtime.storage.unit_of_work() as uow:
        leaving: list[str] = []
        if snapshot.complete and uais:
            ours = {s.student_id for s in snapshot.students}
            leaving = [
                s.student_id for s in uow.directory.students_in(uais) if s.student_id not in ours
            ]
        known = len(uow.accounts.get_many(group.repeated)) if group.repeated else 0
    given = (*staged.rejections, *_moved(staged, leaving))
    report = app.integrate(snapshot, given)
    totals.add_group(report, len(given), group.repeated, known)
    return report


def _moved(staged: StagedRun, leaving: Collection[str]) -> tuple[Rejection, ...]:
    """The stored pupils of a group's schools that the run holds in another group's school:
    kept as stored here, moved by their new school's group.
    """
    moved = sorted(staged.pupils_in_run(leaving)) if leaving else []
    return tuple(Rejection(f"élève {sid}", "école", _MOVED, protects=sid) for sid in moved)


@attrs.frozen
class _Delta:
    """A group's changes, ready to integrate (its rows no longer needed)."""

    group: FeedGroup
    changes: DirectoryChanges
    given: tuple[Rejection, ...]
    known: int


def _prepare_delta(app: EduConnect, staged: StagedRun, group: StagedGroup) -> _Delta:
    """What the delta path integrates for `group`: the storage tells which records differ, and
    only their families are built (`services.delta`).
    """
    records = group.records
    uais = [s.uai for s in group.schools]
    with app.runtime.storage.unit_of_work() as uow:
        found = uow.directory.differing(records, uais)
        guardians = set(found.guardians)
        everything = len(found.pupils) == len(records.pupils) and len(guardians) == len(
            records.guardians
        )
        if not everything:
            # A merged record meets its survivor: the survivor's own record goes in with it.
            guardians.update(uow.accounts.aliases(sorted(guardians)).values())
        known = len(uow.accounts.get_many(group.repeated)) if group.repeated else 0
    departures = found.departures if staged.complete else ()
    moved = _moved(staged, departures)
    moving = {r.protects for r in moved}
    if everything:  # a first integration: the whole group, as the full path
        snapshot, unchanged = staged.snapshot(group), Unchanged()
    else:
        pupils, guardians = close_changes(records.links, found.pupils, guardians)
        ours = {fields[0] for fields in records.guardians}
        guardians &= ours
        snapshot = staged.snapshot(group, pupils, guardians)
        unchanged = Unchanged(len(records.pupils) - len(pupils), len(ours) - len(guardians))
    changes = DirectoryChanges(
        snapshot, tuple(sid for sid in departures if sid not in moving), unchanged
    )
    given = (*staged.rejections, *moved)
    return _Delta(FeedGroup(group.index, snapshot, group.repeated), changes, given, known)


def _integrate_delta(app: EduConnect, delta: _Delta, totals: _Totals) -> IntegrationReport:
    """The delta path: `integrate_changes` on what `_prepare_delta` found."""
    report = integrate_changes(app.runtime, delta.changes, delta.given)
    totals.add_group(report, len(delta.given), delta.group.repeated, delta.known)
    return report


def integrate_feed(
    app: EduConnect,
    path: Path | str,
    *,
    batch_schools: int = DEFAULT_BATCH_SCHOOLS,
    batch_guardians: int = DEFAULT_BATCH_GUARDIANS,
    uai: str | Uai | None = None,
    school_name: str | None = None,
    assume_ine: bool = True,
    on_group: GroupDone | None = None,
    delta: bool = True,
) -> FeedIntegration:
    """Read the feed at `path` in full, then integrate it into `app` group by group.

    `path` is what `read_feed` takes. An AAF1D run is staged in a temporary SQLite file and
    applied `batch_schools` schools at a time (guardians no pupil names, `batch_guardians` at a
    time); an ONDE extraction in one call. Raises `FeedError` before anything is applied when the
    feed cannot be read. See the module's docstring for what differs from a single call.

    With `delta` (the default), each group of an AAF1D run goes through `integrate_changes`:
    the storage finds the records that differ from what it holds (`Directory.differing`) and
    only their families are built and integrated; the stored result and the report are those of
    the full path (`delta=False`: `EduConnect.integrate` on each whole group). `on_group` then
    receives the group with the snapshot that was applied (its schools, its changed records).
    """
    target = Path(path)
    if not target.exists():
        raise FeedNotFound(str(target), "chemin introuvable")
    if is_onde(target):
        reading = read_feed(target, uai=uai, school_name=school_name, assume_ine=assume_ine)
        report = app.integrate(reading.snapshot, reading.rejections)
        return FeedIntegration(report, reading.warnings, groups=1)
    folder = target.parent if target.is_file() and is_aaf_name(target.name) else target
    run = find_run(folder)
    totals = _Totals()
    with stage_run(run, batch_schools=batch_schools, batch_guardians=batch_guardians) as staged:
        for rows in staged.staged_groups():
            if delta:
                prepared = _prepare_delta(app, staged, rows)
                del rows  # the group's rows go before its integration
                group, report = prepared.group, _integrate_delta(app, prepared, totals)
            else:
                group = FeedGroup(rows.index, staged.snapshot(rows), rows.repeated)
                del rows
                report = _integrate_group(app, staged, group, totals)
            if on_group is not None:
                on_group(group, report)
        if totals.groups == 0:  # nothing to apply: one call still reports the rejections
            report = app.integrate(DirectorySnapshot(complete=run.complete), staged.rejections)
            totals.add(report, len(staged.rejections))
        return FeedIntegration(
            totals.report(staged.rejections),
            staged.warnings,
            groups=totals.groups,
            repeated_guardians=totals.repeated,
        )
