"""Small parts of the web adapter on their own: the session store, the rate limiter, the
browser-test gate that turns a skip into a failure under CI=true, the SVG chart.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.core.support import UAI, rentree
from tests.web import browser

from educonnect_web import RateLimiter, SessionStore
from educonnect_web.charts import activation_by_class


class TestSessionStore:
    """Idle sessions end; a new id replaces the old at rotation; idle ones are purged."""

    def test_rotation_and_idle_end(self) -> None:
        store = SessionStore(idle_seconds=0.0)
        sid, _ = store.new()
        assert store.get(sid) is None  # idle for longer than 0 s
        store = SessionStore()
        sid, data = store.new()
        data.guardian = "c.lebrun"
        new_sid, fresh = store.rotate(sid)
        assert new_sid != sid
        assert store.get(sid) is None
        assert fresh.csrf != data.csrf
        other, other_data = store.new()
        other_data.guardian = "c.lebrun"
        assert store.drop_guardian("c.lebrun") == 1
        assert store.get(other) is None
        assert store.get(new_sid) is fresh

    def test_purge_of_idle_sessions(self) -> None:
        store = SessionStore(idle_seconds=0.0)
        store.purge_above = 3
        for _ in range(10):
            store.new()
        assert len(store) <= 4


class TestRateLimiter:
    """At most `limit` requests per window and per address; the window slides."""

    def test_sliding_window(self) -> None:
        now = [0.0]
        limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
        assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a")] == [True, True, False]
        assert limiter.allow("b")
        now[0] = 10.5
        assert limiter.allow("a")


class TestBrowserGate:
    """Without a browser, the browser tests skip — and fail under CI=true."""

    def test_skip_outside_ci_and_fail_under_ci(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setattr(browser, "AXE", tmp_path / "absent.js")
        monkeypatch.setenv("CI", "false")
        with pytest.raises(pytest.skip.Exception):
            browser.require_browser()
        monkeypatch.setenv("CI", "true")
        with pytest.raises(pytest.fail.Exception):
            browser.require_browser()


class TestChart:
    """The chart has one bar label per class and the states' labels, all escaped."""

    def test_chart(self) -> None:
        scene = rentree()
        svg = str(activation_by_class(scene.admin.recount_statistics(UAI)))
        assert svg.startswith("<svg")
        assert "CP A" in svg
        assert "CE1 B" in svg
        assert "Non notifié" in svg
        assert "0 % activés" in svg
