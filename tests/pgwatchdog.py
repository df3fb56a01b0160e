"""Stop a test PostgreSQL server by its PID: used by tests/postgres.py, and run as a script, its watchdog.

As a script (``python pgwatchdog.py PID DATA ROOT``) it waits for its stdin to close, which happens when the test
process ends however it ends (a finished session, Ctrl-C, pytest-timeout's ``os._exit``, SIGKILL), then stops
the server if it still runs and removes its folder. It imports only the standard library.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time


def running(pid: int) -> bool:
    """Whether ``pid`` still runs. A server that exited stays a zombie until PID 1 reaps it (it is not our child:
    pg_ctl daemonizes it), which in some containers takes a second or more; a zombie has stopped."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def stop_server(pid: int, data: str) -> None:
    """Fast shutdown (SIGINT), then SIGKILL if it hangs; nothing to do once the server removed postmaster.pid."""
    for sig, wait in ((signal.SIGINT, 10.0), (signal.SIGKILL, 5.0)):
        if not os.path.exists(os.path.join(data, "postmaster.pid")) or not running(pid):
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        end = time.monotonic() + wait
        while running(pid) and time.monotonic() < end:
            time.sleep(0.01)


def main() -> None:
    pid, data, root = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    sys.stdin.read()
    stop_server(pid, data)
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
