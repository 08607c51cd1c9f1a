# class: the audit hook is not a boundary — starting a shell (os.system, subprocess, _posixsubprocess, posix_spawn)
import os

_marker = HOSTILE["marker"]
command = f"echo shell > {_marker}"
attempts = []
try:
    os.system(command)
except BaseException as exc:
    attempts.append(type(exc).__name__)
try:
    import subprocess
    subprocess.run(["/bin/sh", "-c", command], timeout=5)
except BaseException as exc:
    attempts.append(type(exc).__name__)
try:
    os.posix_spawn("/bin/sh", ["/bin/sh", "-c", command], {})
except BaseException as exc:
    attempts.append(type(exc).__name__)
try:
    import _posixsubprocess
    r, w = os.pipe()
    _posixsubprocess.fork_exec(
        [b"/bin/sh", b"-c", command.encode()], [b"/bin/sh"], True, (w,), None, None,
        -1, -1, -1, -1, -1, -1, r, w, False, False, -1, None, None, None, -1, None, False,
    )
except BaseException as exc:
    attempts.append(type(exc).__name__)
print("shell attempts refused:", attempts)
