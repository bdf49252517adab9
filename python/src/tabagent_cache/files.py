"""Reading cached files: a read-only binary file object with zero-copy ``memoryview`` access,
and a chunked iterator whose memory use does not grow with the file."""
from __future__ import annotations

import io
import mmap
import os
from typing import Iterator, Optional

__all__ = ["CachedFile", "iter_path", "read_range"]


class CachedFile(io.FileIO):
    """A cached file opened read-only (an :class:`io.FileIO`: ``read``, ``readinto``, ``seek``...).

    :meth:`memoryview` maps the blob and returns a read-only :class:`memoryview` over it: no
    copy, the page cache serves it. Release the views before closing the file.
    """

    def __init__(self, path: "os.PathLike[str] | str", *, repo: str = "", file: str = "") -> None:
        super().__init__(os.fspath(path), "rb")
        self.repo: str = repo
        self.file: str = file
        self._map: Optional[mmap.mmap] = None

    def memoryview(self) -> memoryview:
        """A read-only view over the whole file (an empty view for an empty file)."""
        size = os.fstat(self.fileno()).st_size
        if size == 0:
            return memoryview(b"")
        if self._map is None:
            self._map = mmap.mmap(self.fileno(), 0, access=mmap.ACCESS_READ)
        return memoryview(self._map)

    def close(self) -> None:
        if self._map is not None:
            self._map.close()  # raises BufferError while a view is still held
            self._map = None
        super().close()


def read_range(path: "os.PathLike[str] | str", offset: int, length: Optional[int]) -> bytes:
    """``length`` bytes (all to the end when ``None``) from ``offset``; short at the end."""
    if offset < 0 or (length is not None and length < 0):
        raise ValueError("offset and length must not be negative")
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        want = max(0, size - offset) if length is None else max(0, min(length, size - offset))
        parts = []
        got = 0
        while got < want:
            chunk = os.pread(f.fileno(), want - got, offset + got)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts) if len(parts) != 1 else parts[0]


def iter_path(path: "os.PathLike[str] | str", chunk_size: int) -> Iterator[bytes]:
    """Chunks of ``chunk_size`` bytes (the last one shorter); one chunk alive at a time."""
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    with open(path, "rb", buffering=0) as f:
        while True:
            chunk = f.read(chunk_size)
            if not chunk:
                return
            yield chunk
