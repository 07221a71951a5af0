"""Lease owners: an id naming the machine and process that holds a lease, and whether that
process is gone, so its leases can be taken back at once instead of when they expire.

The id is ``host:pid:start:nonce``. The process start time (clock ticks since boot, from
``/proc/PID/stat``) tells a dead owner from a new process that was given the same pid later;
without it a restarted container, whose first processes get the same small pids again, would
keep a dead owner's leases until they expire.
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import Protocol


def new_owner() -> str:
    """A lease owner id for this process (a fresh nonce for every caller)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{process_start(pid) or 0}:{uuid.uuid4().hex[:8]}"


def process_start(pid: int) -> int | None:
    """When the process started (clock ticks since boot), or None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            raw = stat.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ')': split after
    # the last ')'. The start time is field 22, so the 20th field after the name.
    fields = raw[raw.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def this_process() -> str:
    """This process as an owner id, the same for its whole life (runs are recorded under it)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{process_start(pid) or 0}:process"


def owner_is_dead(owner: str) -> bool:
    """True only when the owner is a process of this machine that no longer runs.

    Owners on other machines cannot be checked: their leases end when they expire.
    Ids of the older form ``host:pid:nonce`` are judged by the pid alone. A pid now held by a
    process that started at another time than the owner did is a reused pid: the owner is gone.
    """
    parts = owner.split(":")
    if len(parts) not in (3, 4) or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if len(parts) == 4 and parts[2].isdigit() and int(parts[2]) != 0:
        started = process_start(pid)
        if started is not None and started != int(parts[2]):
            return True
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # another user's process of that pid exists and its start time matched (or is unknown)
    return False


class LeaseHolders(Protocol):
    """A repository that leases work to owners (the frontier, the classification queue)."""

    async def lease_owners(self) -> list[str]: ...
    async def release_owner(self, owner: str) -> int: ...


async def reclaim_dead(holders: LeaseHolders) -> int:
    """Give back everything leased to processes of this machine that are gone; how many."""
    reclaimed = 0
    for owner in await holders.lease_owners():
        if owner_is_dead(owner):
            reclaimed += await holders.release_owner(owner)
    return reclaimed
