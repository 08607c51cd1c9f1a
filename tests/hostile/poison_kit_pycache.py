# class: the audit hook is not a boundary — writing into the kit's own __pycache__ and code
import ctypes, glob, os

_kit = HOSTILE["kit"]
libc = ctypes.CDLL(None, use_errno=True)
targets = glob.glob(_kit + "/grader/**/__pycache__", recursive=True) + [_kit + "/grader/checks", _kit + "/grader"]
for folder in targets:
    for name in ("ex01_tensors.cpython-311.pyc", "ex01_tensors.cpython-312.pyc", "hostile.py"):
        path = os.path.join(folder, name).encode()
        fd = libc.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if fd >= 0:
            libc.write(fd, b"# poisoned\n", 11)
            libc.close(fd)
        try:
            dfd = os.open(folder, os.O_RDONLY)
            wfd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644, dir_fd=dfd)
            os.write(wfd, b"# poisoned\n")
        except OSError:
            pass
