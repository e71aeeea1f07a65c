"""A function mapped over items in one forked process, in order, a bounded number ahead of its reader: an
import's parsing process (kb.documents.reading.readings).

Not `concurrent.futures.ProcessPoolExecutor`: its manager thread, in the importing process, received each
result, unpickled it and handed the worker its next item, holding the GIL against the importing thread
for each: 1.3-1.7 ms of CPU a file in that thread and the parsing process waiting on it (BENCHMARKS.md,
"Import speed: both processes (issue #12, round 7)"). Here the forked process queues its results through a
pipe written by a thread of its own (`multiprocessing.Queue`), and the importing thread unpickles each
when it takes it; a semaphore keeps the process at most `ahead` items ahead. Its count also tells the
process how many results wait for the reader: few, and the reader is waiting for it, so it leaves the
reader part of the work (`lighter`).

While it runs, what was alive before it started is frozen for Python's cyclic collector (`gc.freeze`, as
its documentation advises before a fork): Django, the modules and their caches, about 76,000 objects that
each full collection of either process scanned again, about half of the importing process's ~1 ms a file
of collecting; and the forked process's collections no longer touch the pages it shares with its parent.
Only when nothing is frozen yet: a gunicorn worker (a Git push's import) inherits its master's frozen heap
(kb.ops.warmup.server_heap_frozen), and `gc.unfreeze()` has no measure: it would thaw all of it.

And while it runs, both processes collect their young objects every `YOUNG_COLLECTED_AFTER` allocations, not
Python's 700: an import allocates millions of short-lived objects (parsed trees, rows, model instances) and few
cycles, and each tenth young collection also walked the older objects, each hundredth all of them. 3,000
documents into PostgreSQL: 2,681 collections in the importing process, 0.8-1.1 s of its CPU, then 26 and
0.25-0.30 s; the parsing process 0.13-0.15 s, then 0.03; the peak RSS the same (BENCHMARKS.md, "Round 18").
Given back when it ends, as the freeze is.
"""

from __future__ import annotations

import fcntl
import gc
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# How often a process waiting for its reader or its worker checks that the other is still there.
CHECK_EVERY = 1.0
SWITCH_INTERVAL = 0.0005
# Allocations between two collections of the young objects while a process maps (see the module's text).
YOUNG_COLLECTED_AFTER = 10_000
# What the results' pipe holds: Linux's default, 64 KiB, is a reading and a half (~42 KB each), so the queue's thread
# wrote nearly every reading the reader took while the reader waited, and that thread first waits for its process's
# GIL (up to `SWITCH_INTERVAL`): 0.7-0.8 s of 3,000 documents into PostgreSQL, the importing process idle and the
# server with it; 0.18 s with 1 MiB, the most a user may ask for by default (/proc/sys/fs/pipe-max-size).
# BENCHMARKS.md, "Round 24".
PIPE_BYTES = 1 << 20


class ProcessFailed(RuntimeError):
    """The forked process raised (the message holds its traceback) or died."""


@contextmanager
def mapped_in_process(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    *,
    ahead: int,
    lighter: Callable[[Item], Result] | None = None,
    lighter_below: int = 0,
) -> Iterator[Iterator[Result]]:
    """`map(function, items)`, computed by a forked process while the caller reads. `lighter`: what the process
    computes instead for an item while fewer than `lighter_below` wait for the caller (a result the caller
    completes itself): where the process is the slower of the two, the work is shared out, and where the
    caller is, the process does all of it."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    _pipe_widened(results)
    room = context.Semaphore(ahead)
    work = (function, lighter or function, ahead - lighter_below)
    process = context.Process(target=_work, args=(work, items, results, room, os.getpid()), daemon=True)
    frozen_here = gc.get_freeze_count() == 0
    if frozen_here:
        gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTED_AFTER, *thresholds[1:])  # the forked process's too, inherited
    try:
        process.start()
    except BaseException:
        _collector_given_back(thresholds, frozen_here)
        raise

    def taken() -> Iterator[Result]:
        for n in range(len(items)):
            while True:
                try:
                    index, pickled, failure = results.get(timeout=CHECK_EVERY)
                    break
                except queue.Empty:
                    if not process.is_alive():
                        raise ProcessFailed(f"the process died (exit code {process.exitcode})") from None
            room.release()
            if failure is not None:
                raise ProcessFailed(failure)
            assert index == n, (index, n)
            yield pickle.loads(pickled)

    try:
        yield taken()
    finally:
        _collector_given_back(thresholds, frozen_here)
        if process.is_alive():
            process.terminate()
        process.join()
        results.close()


def _pipe_widened(results) -> None:
    """The queue's pipe holding `PIPE_BYTES`, where the system lets it (Linux); the default elsewhere. The queue keeps
    its pipe private: read where Python has kept it since 2.6."""
    try:
        fcntl.fcntl(results._reader.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (AttributeError, OSError):
        pass  # no F_SETPIPE_SZ (not Linux), or over the system's or this user's limit


def _collector_given_back(thresholds: tuple[int, int, int], frozen_here: bool) -> None:
    gc.set_threshold(*thresholds)
    if frozen_here:
        gc.unfreeze()


def _work(work, items, results, room, reader: int) -> None:
    function, lighter, room_for_lighter = work
    # The reader stops both on Ctrl-C (the signal reaches the whole process group): it ends this one.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The queue's thread writes the results into the pipe as the reader empties it, a GIL handover in this
    # process each time: at Python's 5 ms, a reader taking a batch's files at once waited for each.
    sys.setswitchinterval(SWITCH_INTERVAL)
    for n, item in enumerate(items):
        while not room.acquire(timeout=CHECK_EVERY):
            if os.getppid() != reader:
                return  # the reader is gone without ending this process
        try:
            # The room left once this item's is taken: all but the items waiting for the reader.
            computed = lighter(item) if room.get_value() >= room_for_lighter else function(item)
            # Pickled here, not by the queue's thread: it then holds the GIL only to write bytes.
            results.put((n, pickle.dumps(computed), None))
        except Exception:
            results.put((n, None, traceback.format_exc()))
            return
