# class: the audit hook is not a boundary — reading the reference solutions through a dir_fd and ctypes
import ctypes, os

_kit = HOSTILE["kit"]
for attempt in ("dir_fd", "ctypes", "plain"):
    try:
        if attempt == "dir_fd":
            folder = os.open(_kit, os.O_RDONLY)
            fd = os.open("solutions/ex01_tensors.py", os.O_RDONLY, dir_fd=folder)
            text = os.read(fd, 100_000)
        elif attempt == "ctypes":
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.open((_kit + "/solutions/ex01_tensors.py").encode(), os.O_RDONLY)
            buffer = ctypes.create_string_buffer(100_000)
            size = libc.read(fd, buffer, 100_000)
            text = buffer.raw[: max(size, 0)]
        else:
            text = open(_kit + "/solutions/ex01_tensors.py", "rb").read()
        print("LEAKED-SOLUTION", attempt, text.decode(errors="replace"))
    except BaseException as exc:
        print("refused", attempt, type(exc).__name__)
