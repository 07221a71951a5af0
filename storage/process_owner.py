"""Who owns a run: 'host:pid:start-time' of this process, and whether such an owner is gone.

The start time (clock ticks since boot, from /proc) tells a reused process id from the
original process, so a dead owner is never mistaken for a live one and a live one never for
a dead one. Owners on other hosts are never judged: their processes cannot be seen from here.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def _start_ticks(pid: int) -> str:
    """The process's start time since boot (field 22 of /proc/PID/stat), or '' when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    # The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


def this_process() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def is_gone(owner: str) -> bool:
    """True only when ``owner`` names a process of this host that no longer exists."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    host, pid_text, started = parts
    if host != socket.gethostname():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, owned by another user
    return bool(started) and _start_ticks(pid) not in ("", started)
