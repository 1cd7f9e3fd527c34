"""A helper thread that writes one batch of rows while the unit of work's caller goes on.

During an integration, the core builds a million accounts in Python while the database could
already be storing the first ones. A unit of work hands each full batch of new accounts to its
lane and goes on; the database works with the GIL released, so both proceed together on two
cores. There is at most one batch in flight, and nothing else touches the connection meanwhile:
every other use of the connection waits for the lane first (`SqlUnitOfWork.connection`), where
the batch's error, if any, is raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["Lane"]


class Lane:
    """At most one piece of work running in a helper thread; `wait` joins it and raises its
    error.
    """

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def busy(self) -> bool:
        """Whether work was started and not yet waited for."""
        return self._thread is not None

    def start(self, work: Callable[[], None]) -> None:
        """Run `work` in a new helper thread (after waiting for the previous work)."""
        self.wait()

        def run() -> None:
            try:
                work()
            except BaseException as error:  # handed to the waiting thread
                self._error = error

        self._thread = threading.Thread(target=run, name="educonnect-sql-lane", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Wait for the work started last; raise what it raised."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        error, self._error = self._error, None
        if error is not None:
            raise error

    def discard(self) -> None:
        """Wait for the work started last and forget its outcome (the transaction is ending)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        self._error = None
