"""Progress reporting for blocking and async downloads.

A reader gets the job's events in batches (the GIL is taken once per batch, on the thread that
waits, never on the core's job threads) and calls the reporter with the newest event of each
batch, at most 10 times a second; the job's final event is always reported.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, Optional, Union

from .types import ProgressEvent

__all__ = ["ProgressCallback", "ProgressArg", "Reporter", "TqdmBars", "make_reporter", "MIN_INTERVAL"]

#: Seconds between two progress calls (10 per second at most).
MIN_INTERVAL = 0.1

ProgressCallback = Callable[[ProgressEvent], Any]
#: ``None`` (no progress), ``True`` (tqdm bars), or a callable taking one event.
ProgressArg = Union[None, bool, ProgressCallback]


class Reporter:
    """Receives the newest event of each batch; closed when the wait ends."""

    def __init__(self, callback: Optional[ProgressCallback] = None) -> None:
        self._callback = callback

    def __call__(self, event: ProgressEvent) -> None:
        if self._callback is not None:
            self._callback(event)

    def close(self) -> None:
        pass


class TqdmBars(Reporter):
    """tqdm bars: one for the whole job (bytes) and one per file in flight."""

    def __init__(self, title: str) -> None:
        super().__init__()
        from tqdm.auto import tqdm  # imported here: tqdm is optional

        self._tqdm = tqdm
        self._total = tqdm(total=0, unit="B", unit_scale=True, unit_divisor=1024, desc=title, position=0)
        self._files: Dict[str, Any] = {}

    def __call__(self, event: ProgressEvent) -> None:
        total = int(event.get("total") or 0)
        if total and self._total.total != total:
            self._total.total = total
        self._total.n = int(event.get("loaded") or 0)
        self._total.set_postfix_str("%d/%d files" % (event.get("filesDone", 0), event.get("filesTotal", 0)),
                                    refresh=False)
        self._total.refresh()
        active = {f["path"]: f for f in event.get("activeFiles", [])}
        for path in list(self._files):
            if path not in active:
                self._files.pop(path).close()
        for path, f in active.items():
            bar = self._files.get(path)
            if bar is None:
                bar = self._tqdm(total=f["total"] or None, unit="B", unit_scale=True, unit_divisor=1024,
                                 desc=path.rsplit("/", 1)[-1], leave=False, position=len(self._files) + 1)
                self._files[path] = bar
            bar.n = int(f["loaded"])
            bar.refresh()

    def close(self) -> None:
        for bar in self._files.values():
            bar.close()
        self._files.clear()
        self._total.close()


def make_reporter(progress: ProgressArg, title: str) -> Optional[Reporter]:
    """The reporter for a ``progress=`` argument."""
    if progress is None or progress is False:
        return None
    if progress is True:
        try:
            return TqdmBars(title)
        except ImportError:
            warnings.warn("progress=True needs tqdm (apt install python3-tqdm); no bars shown", stacklevel=3)
            return None
    if callable(progress):
        return Reporter(progress)
    raise TypeError("progress must be None, a bool or a callable taking one event")
