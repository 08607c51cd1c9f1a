# class: a classmate touched — reading and changing another student's files in the same batch
import ctypes, os

victim = HOSTILE["victim"]
libc = ctypes.CDLL(None, use_errno=True)
for name in ("ex01_tensors.py", "ex02_autograd.py"):
    path = os.path.join(victim, name)
    try:
        print("CLASSMATE", open(path).read()[:3000])
    except BaseException as exc:
        print("refused read", type(exc).__name__)
    fd = libc.open(path.encode(), os.O_WRONLY | os.O_TRUNC)
    if fd >= 0:
        libc.write(fd, b"raise SystemExit\n", 17)
        libc.close(fd)
    try:
        folder = os.open(victim, os.O_RDONLY)
        os.unlink(name, dir_fd=folder)
    except BaseException as exc:
        print("refused unlink", type(exc).__name__)
for root, _dirs, files in os.walk(HOSTILE["class"]):
    for name in files:
        try:
            os.utime(os.path.join(root, name), (0, 0))
        except BaseException:
            pass
