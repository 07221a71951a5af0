"""Run parsers of untrusted bytes in worker processes, so a crash or hang cannot stop the crawl.

feedparser, selectolax (lexbor) and lxml are C code fed with bytes from the internet. A
segfault there would kill the daemon; an exponential corner case would freeze its event
loop. :class:`ParsePool` runs such a function in a small process pool with

* a deadline per call, counted from the moment the call is handed to a started worker
  (calls wait for a free worker in this process, not in the pool's queue, and a fresh
  pool's start-up is awaited first, so neither waiting nor start-up ever times a call out);
* on a timeout, the workers are killed and the pool is replaced (a hung C call cannot be
  interrupted any other way); on a crash (BrokenProcessPool), the same;
* calls that were merely caught in someone else's restart are retried once on the new pool;
* an address-space limit per worker, and workers recycled after ``max_tasks_per_child``
  calls, so a leaking parser cannot grow without bound;
* nothing outlives the crawler: a worker exits when the crawler process is gone (a thread
  watching its pidfd) and is killed by the kernel when its fork server exits (Linux
  ``PR_SET_PDEATHSIG``, which works even while the worker is stuck in C code), and workers
  drop their copy of the fork server's keep-alive pipe so the fork server sees the
  crawler's death. A ``kill -9`` of the crawler leaves no process behind.

The function and its arguments must be picklable (a module-level function, bytes, str...).
Errors come back as :class:`~crawler.errors.ParseFailed` (the function raised),
:class:`~crawler.errors.ParseTimeout` and :class:`~crawler.errors.ParserCrashed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from crawler.errors import ParseFailed, ParserCrashed, ParseTimeout

T = TypeVar("T")

STARTUP_TIMEOUT_S = 60.0
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
DEFAULT_PRELOAD = ("crawler.discover", "crawler.feeds", "crawler.technographics")


def _limit_memory(max_bytes: int) -> None:
    """Cap the address space so a runaway parse fails with MemoryError."""
    if max_bytes <= 0:
        return
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


def _die_with_parent(forkserver_pid: int) -> None:
    """Ask the kernel to kill this worker when its parent (the fork server) exits (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != forkserver_pid:
        os._exit(1)  # the fork server died before the request above took effect


def _release_forkserver_pipe() -> None:
    """Close this worker's copy of the fork server's keep-alive pipe.

    multiprocessing hands every forkserver child the write end of the pipe whose end-of-file
    tells the fork server its owner is gone. While a worker holds it, a SIGKILLed crawler
    leaves the fork server, and so its workers, running forever.
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(fd, int):
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]


def _watch_owner(owner_pid: int) -> None:
    """Exit as soon as the crawler process that owns the pool is gone (a helper thread).

    A pidfd cannot be fooled by pid reuse; where there is none, poll the pid.
    """
    try:
        pidfd = os.pidfd_open(owner_pid)
    except (AttributeError, OSError):
        pidfd = None
    if pidfd is None and not _alive(owner_pid):
        os._exit(1)

    def watch() -> None:
        if pidfd is not None:
            select.select([pidfd], [], [])
        else:
            while _alive(owner_pid):
                time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _init_worker(max_bytes: int, owner_pid: int) -> None:
    """Worker initializer: never outlive the crawler, then cap memory (the watcher thread's
    stack is reserved before the address-space limit applies)."""
    _die_with_parent(os.getppid())
    _release_forkserver_pipe()
    _watch_owner(owner_pid)
    _limit_memory(max_bytes)


def _noop() -> int:
    return os.getpid()


class ParsePool:
    def __init__(
        self,
        workers: int = 1,
        timeout_s: float = 10.0,
        *,
        memory_limit_bytes: int = 1 << 30,
        max_tasks_per_child: int = 1000,
        preload: Sequence[str] = DEFAULT_PRELOAD,
    ):
        self.workers = max(1, workers)
        self.timeout_s = timeout_s
        self._memory = memory_limit_bytes
        self._max_tasks = max_tasks_per_child
        self._context = multiprocessing.get_context("forkserver")
        importable = []
        for name in preload:
            with contextlib.suppress(ImportError):
                __import__(name)
                importable.append(name)
        # Workers fork from a server that already imported the parsers: no per-worker imports.
        self._context.set_forkserver_preload(importable)
        self._slots = asyncio.Semaphore(self.workers)
        self._pool_lock = asyncio.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._generation = 0
        self.restarts = 0
        self.calls = 0

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self._context,
                initializer=_init_worker,
                initargs=(self._memory, os.getpid()),
                max_tasks_per_child=self._max_tasks,
            )
            self._generation += 1
        return self._executor

    async def _ready_pool(self) -> ProcessPoolExecutor:
        """The pool, with its workers started: start-up time never counts against a call's
        deadline (a fresh pool after a restart can take a while on a loaded machine)."""
        async with self._pool_lock:
            if self._executor is not None:
                return self._executor
            executor = self._pool()
            warm = [asyncio.wrap_future(executor.submit(_noop)) for _ in range(self.workers)]
            try:
                await asyncio.wait_for(asyncio.gather(*warm), STARTUP_TIMEOUT_S)
            except (TimeoutError, BrokenProcessPool) as exc:
                self._restart()
                raise ParserCrashed(f"parse workers did not start: {type(exc).__name__}") from exc
            return executor

    def _restart(self) -> None:
        """Kill every worker and forget the pool; the next call builds a fresh one."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        self.restarts += 1
        processes = list((getattr(executor, "_processes", None) or {}).values())
        for process in processes:
            with contextlib.suppress(Exception):
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    async def start(self) -> None:
        """Start the workers now (the first call otherwise waits for them)."""
        await self._ready_pool()

    async def run(self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None) -> T:
        deadline = self.timeout_s if timeout_s is None else timeout_s
        async with self._slots:
            for attempt in (1, 2):
                executor = await self._ready_pool()
                generation = self._generation
                self.calls += 1
                try:
                    future = asyncio.wrap_future(executor.submit(fn, *args))
                except (BrokenProcessPool, RuntimeError):
                    self._restart_if(generation)
                    continue
                try:
                    return await asyncio.wait_for(future, deadline)
                except TimeoutError as exc:
                    self._restart_if(generation)
                    raise ParseTimeout(
                        f"{getattr(fn, '__name__', fn)} did not finish in {deadline:g}s"
                    ) from exc
                except BrokenProcessPool as exc:
                    # Broken by our crash, or by another call's crash or timeout: one retry on
                    # a fresh pool tells them apart (the culprit breaks the new pool again).
                    self._restart_if(generation)
                    if attempt == 1:
                        continue
                    raise ParserCrashed(f"{getattr(fn, '__name__', fn)}: worker died") from exc
                except MemoryError as exc:
                    raise ParseFailed(f"{getattr(fn, '__name__', fn)}: out of memory") from exc
                except Exception as exc:
                    raise ParseFailed(
                        f"{getattr(fn, '__name__', fn)}: {type(exc).__name__}: {exc}"[:500]
                    ) from exc
        raise ParserCrashed(f"{getattr(fn, '__name__', fn)}: worker pool unavailable")

    def _restart_if(self, generation: int) -> None:
        if self._generation == generation and self._executor is not None:
            self._restart()

    async def aclose(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            processes = list((getattr(executor, "_processes", None) or {}).values())
            executor.shutdown(wait=False, cancel_futures=True)
            await asyncio.to_thread(_reap, processes)


def _reap(processes: list[Any]) -> None:
    """Give idle workers a moment to exit, then kill what is left (runs in a thread)."""
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(timeout=1.0)
            if process.is_alive():
                process.kill()
