"""
The C{twistd} of the virtualenv running the tests, and the child processes
of a process (a C{twistd reneg --workers} parent's workers).
"""

from __future__ import annotations

import os
import sys

#: The C{twistd} script beside the running interpreter, so that it runs in
#: this virtualenv, with this checkout's plugin.
TWISTD = os.path.join(os.path.dirname(sys.executable), "twistd")


def children(pid: int) -> set[int]:
    """
    The child processes of C{pid} (Linux's /proc).
    """
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.update(int(p) for p in f.read().split())
    except OSError:
        pass
    return found
