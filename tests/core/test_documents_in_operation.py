"""A document is part of the operation that makes it (issue 9 items 2 and 15): staged before the
commit, published after, discarded if the commit fails; an export is recorded only once its
document exists; an out-of-scope access is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

import attrs
import pytest
from tests.core.support import (
    CLAIRE,
    LOGINS,
    MARC,
    OTHER_UAI,
    PARC_CM1,
    UAI,
    notified,
    pupil,
    rentree,
)

from educonnect_core import (
    Channel,
    Document,
    DocumentRenderer,
    EduconnectError,
    LetterContent,
    NotInScope,
    Responsable,
    Selection,
    StorageError,
)
from educonnect_core.domain.records import AccountList
from educonnect_core.testing.sinks import FailingSink, MemorySink, SinkFailed


class TestPaperNotification:
    """With a sink, the sheets are staged before the commit: a sheet that cannot be written
    commits nothing (no reset, no distribution date); a commit that fails discards the sheet.
    """

    def test_staging_fails_nothing_committed(self) -> None:
        scene = notified()
        before = {login: scene.stored(login) for login in LOGINS.values()}
        sink = FailingSink()
        with pytest.raises(SinkFailed) as failed:
            scene.admin.notify(UAI, Selection(), Channel.PAPER, reset=True, sink=sink)
        assert sink.attempts == 1
        assert failed.value.french.endswith("n'a pas pu être enregistré.")
        assert {login: scene.stored(login) for login in LOGINS.values()} == before
        assert [e for e in scene.audit() if e.action == "NOTIFY_WITH_RESET"] == []

    def test_first_notification_not_stamped_when_the_sheet_fails(self) -> None:
        scene = rentree()
        with pytest.raises(SinkFailed):
            scene.admin.notify(UAI, [LOGINS[MARC]], Channel.PAPER, sink=FailingSink())
        account = scene.stored(LOGINS[MARC])
        assert (account.state.name, account.distributed_at) == ("NOT_NOTIFIED", None)

    def test_commit_fails_the_staged_sheet_is_discarded(self) -> None:
        scene = notified()
        sink = MemorySink()
        scene.world.storage.fail_next_commit = True  # type: ignore[attr-defined]
        with pytest.raises(StorageError):
            scene.admin.notify(UAI, [LOGINS[CLAIRE]], Channel.PAPER, reset=True, sink=sink)
        assert [s.state for s in sink.staged] == ["discarded"]
        assert sink.published == []

    def test_success_publishes_after_the_commit(self) -> None:
        scene = rentree()
        sink = MemorySink()
        report = scene.admin.notify(UAI, Selection(), Channel.PAPER, sink=sink)
        assert report.document is not None
        assert sink.published == [report.document]
        assert report.location == f"memory:{report.document.filename}"
        assert scene.stored(LOGINS[MARC]).distributed_at == scene.now

    def test_without_a_sink_the_document_is_in_the_report(self) -> None:
        report = rentree().admin.notify(UAI, Selection(), Channel.PAPER)
        assert report.document is not None
        assert report.location is None


class TestExports:
    """An export is recorded in the audit trail only once its document exists and is staged."""

    def test_csv_through_a_sink(self) -> None:
        scene = notified()
        sink = MemorySink()
        document = scene.admin.export_csv(UAI, sink=sink)
        assert sink.published == [document]
        assert [e.outcome for e in scene.audit() if e.action == "EXPORT"] == ["done"]

    def test_no_export_recorded_when_staging_fails(self) -> None:
        scene = notified()
        with pytest.raises(SinkFailed):
            scene.admin.export_pdf(UAI, sink=FailingSink())
        assert [e for e in scene.audit() if e.action == "EXPORT"] == []

    def test_no_export_recorded_when_rendering_fails(self) -> None:
        scene = notified()

        class Broken(EduconnectError):
            """The renderer could not draw the list."""

        def account_list(listing: AccountList) -> Document:
            raise Broken(f"{len(listing.rows)} rows")

        renderer = scene.world.renderer
        runtime = scene.app.runtime
        scene.app.runtime = attrs.evolve(runtime, renderer=_Failing(renderer, account_list))
        with pytest.raises(Broken):
            scene.admin.export_pdf(UAI)
        assert [e for e in scene.audit() if e.action == "EXPORT"] == []


class _Failing:
    """A renderer whose account list fails, its sheets drawn by `inner`."""

    def __init__(
        self, inner: DocumentRenderer, account_list: Callable[[AccountList], Document]
    ) -> None:
        self._inner = inner
        self.account_list = account_list

    def notification_sheets(
        self, letters: Sequence[LetterContent], created_at: datetime
    ) -> Document:
        """The inner renderer's sheets."""
        return self._inner.notification_sheets(letters, created_at)


class TestOutOfScopeIsAudited:
    """A director asking for another school or for an account of another school is refused, and
    the refusal is in the audit trail.
    """

    def test_another_school(self) -> None:
        scene = rentree()
        with pytest.raises(NotInScope):
            scene.admin.rows(OTHER_UAI)
        (entry,) = [e for e in scene.audit() if e.outcome == "refused: out of scope"]
        assert (entry.actor, entry.action, entry.uai) == ("director:dir-1", "LIST", OTHER_UAI)

    def test_an_account_of_another_school(self) -> None:
        scene = rentree()
        scene.feed.add_family(
            Responsable.create("r-zoe", surname="MARTIN", first_name="Zoé"),
            pupil("s-zoe", "MARTIN", "Lou", date(2016, 4, 4), class_id=PARC_CM1, uai=OTHER_UAI),
        )
        scene.next_day_integration()
        with pytest.raises(NotInScope):
            scene.admin.reset_password(UAI, "z.martin")
        refusals = [e for e in scene.audit() if e.outcome == "refused: out of scope"]
        assert [(e.action, e.uai, e.detail) for e in refusals] == [
            ("RESET_PASSWORD", UAI, "subject=z.martin")
        ]
