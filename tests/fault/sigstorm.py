#!/usr/bin/python3
"""sigstorm.py - signals sent fast and to odd places, for t_signals.sh.

    sigstorm.py storm PID SECONDS SIG[,SIG...]
        kill(2) PID with the signals in turn, as fast as it goes (a pause
        of 1 ms every 50), for SECONDS or until PID is gone.  Prints
        "sent N".
    sigstorm.py threads PID SIG
        tgkill(2) SIG to every thread of PID but the main one (what the
        kernel does with a process-directed signal when the main thread
        cannot take it at that moment).  Prints "threads K".
"""
import ctypes
import os
import signal
import sys
import time


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def storm(pid, seconds, sigs):
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end and alive(pid):
        try:
            os.kill(pid, sigs[n % len(sigs)])
        except ProcessLookupError:
            break
        n += 1
        if n % 50 == 0:
            time.sleep(0.001)
    print(f"sent {n}")


def threads(pid, sig):
    libc = ctypes.CDLL(None, use_errno=True)
    k = 0
    for tid in sorted(int(t) for t in os.listdir(f"/proc/{pid}/task")):
        if tid != pid and libc.tgkill(pid, tid, sig) == 0:
            k += 1
    print(f"threads {k}")


def signum(name):
    return getattr(signal, "SIG" + name.upper().removeprefix("SIG"))


def main(argv):
    if len(argv) == 5 and argv[1] == "storm":
        storm(int(argv[2]), float(argv[3]),
              [signum(s) for s in argv[4].split(",")])
    elif len(argv) == 4 and argv[1] == "threads":
        threads(int(argv[2]), signum(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
