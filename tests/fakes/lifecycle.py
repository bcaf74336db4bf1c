"""``with server:`` for the fake servers: enter starts, leaving stops, whatever happened inside."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class StartStop:
    """Mixin for a server with ``start() -> self`` and ``stop()``."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
