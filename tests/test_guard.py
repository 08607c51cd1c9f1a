"""The batch's signal guard: who may end it, and what is no signal at all."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from conftest import KIT

# Runs in its own process: blocking signals in pytest's process would change how pytest itself ends.
STOPPED_WHILE_WAITING = textwrap.dedent("""
    import os, signal, time
    from grader.sandbox import guard
    guard.block()
    me = os.getpid()
    for _ in range(3):
        helper = os.fork()
        if helper == 0:
            time.sleep(0.05)
            os.kill(me, signal.SIGSTOP)  # the wait is interrupted, and resumed only after its deadline
            time.sleep(0.3)
            os.kill(me, signal.SIGCONT)
            os._exit(0)
        print(guard.take(0.1))
        os.waitpid(helper, 0)
""")

FROM_OUTSIDE = textwrap.dedent("""
    import os, signal, sys
    from grader.sandbox import guard
    guard.block()
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        guard.take(5)
    except guard.Stop as stop:
        print("stopped by", stop)
""")


def test_a_stop_and_continue_during_the_wait_is_no_signal() -> None:
    done = subprocess.run([sys.executable, "-c", STOPPED_WHILE_WAITING], capture_output=True, text=True,
                          cwd=KIT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["[]"] * 3


def test_a_signal_from_outside_ends_the_wait_with_its_name() -> None:
    with subprocess.Popen([sys.executable, "-c", FROM_OUTSIDE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True, cwd=KIT) as child:
        assert child.stdout.readline() == "ready\n"
        child.send_signal(signal.SIGTERM)
        child.stdin.write("\n")
        child.stdin.flush()
        out, _ = child.communicate(timeout=60)
    assert out == "stopped by SIGTERM\n"
