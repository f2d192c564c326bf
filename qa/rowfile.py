"""Rows of a 2-D .npy file read on demand with pread, for the index's chunk and sentence vectors.

A question reads a few hundred vector rows at random. Memory-mapping the files made those reads cheap
but counted every page the kernel mapped around them ("fault-around", 64 KB a fault) as resident
memory of the process: 100 questions at 1M chunks left 8.4 GB resident, 0.17 GB of it the process's
own (measured with benchmarks/scale.py). Reading rows with pread goes through the same page cache
and leaves no mapping behind; the runs of one request are announced to the kernel together first
(POSIX_FADV_WILLNEED), so rows not in the page cache are read in parallel. Large requests (more than
GATHER_MAX rows: builds that rewrite a segment, `qa check`) use a short-lived memory map instead.
It does not write files.
"""

from __future__ import annotations

import os

import numpy as np

PREFETCH = hasattr(os, "posix_fadvise")  # not on every platform
GATHER_MAX = 4096  # rows read one pread each; more go through a temporary memory map


def open_random(path: str) -> int:
    """A read-only descriptor for reads of scattered rows: the kernel reads exactly the bytes asked for,
    no read-ahead."""
    fd = os.open(path, os.O_RDONLY)
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
    return fd


class RowFile:
    """An array-like over the rows of a C-ordered 2-D .npy file: len, shape, dtype, indexing by int,
    slice or array of rows (each returns a new ndarray), np.asarray for the whole."""

    def __init__(self, path: os.PathLike | str):
        self.path = os.fspath(path)
        with open(self.path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read(fh)
            self._offset = fh.tell()
        if fortran or len(shape) != 2 or dtype.hasobject:
            raise ValueError(f"{self.path} is not a C-ordered 2-D numeric array")
        self.shape, self.dtype = tuple(shape), dtype
        self._row = shape[1] * dtype.itemsize
        if self._offset + shape[0] * self._row != os.path.getsize(self.path):
            raise ValueError(f"{self.path} is shorter or longer than its header says")
        self._fd = open_random(self.path)

    def __del__(self):
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)

    def __len__(self) -> int:
        return self.shape[0]

    def _read(self, start: int, count: int) -> np.ndarray:
        data = os.pread(self._fd, count * self._row, self._offset + start * self._row)
        if len(data) != count * self._row:
            raise ValueError(f"{self.path} ended early")
        return np.frombuffer(data, dtype=self.dtype).reshape(count, self.shape[1])

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step == 1:
                return self._read(start, max(stop - start, 0)).copy()
            return self._take(np.arange(start, stop, step))
        if np.ndim(key) == 0:
            row = int(key) + (len(self) if int(key) < 0 else 0)
            if not 0 <= row < len(self):
                raise IndexError(key)
            return self._read(row, 1)[0].copy()
        return self._take(np.asarray(key, dtype=np.int64).ravel())

    def _take(self, rows: np.ndarray) -> np.ndarray:
        rows = np.where(rows < 0, rows + len(self), rows)
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError("row out of range")
        if len(rows) > GATHER_MAX:
            mapped = np.load(self.path, mmap_mode="r", allow_pickle=False)
            return np.array(mapped[rows])
        out = np.empty((len(rows), self.shape[1]), dtype=self.dtype)
        # one pread per run of consecutive rows (a chunk's sentences are consecutive rows)
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        breaks = np.flatnonzero(np.diff(ordered) != 1) + 1
        runs = [
            (lo, hi) for lo, hi in zip([0, *breaks.tolist()], [*breaks.tolist(), len(ordered)], strict=True) if hi > lo
        ]
        if len(runs) > 1 and PREFETCH:
            # every run asked of the kernel first (asynchronous): the disk then serves them together
            # rather than one after another when they are not in the page cache. At 1M chunks, questions
            # whose rows no earlier question read: p50 85 -> 61 ms (benchmarks/scale.py --seed, same cache)
            for lo, hi in runs:
                os.posix_fadvise(
                    self._fd, self._offset + int(ordered[lo]) * self._row, (hi - lo) * self._row, os.POSIX_FADV_WILLNEED
                )
        for lo, hi in runs:
            out[order[lo:hi]] = self._read(int(ordered[lo]), hi - lo)
        return out

    def __array__(self, dtype=None, copy=None):
        out = self._read(0, len(self)).copy()
        return out.astype(dtype) if dtype is not None else out
