# class: resources — files in /dev/shm outlive the grade
import ctypes, os

libc = ctypes.CDLL(None, use_errno=True)
for name in ("/dev/shm/hostile-corpus-leftover", "/dev/shm/hostile-corpus-leftover-2"):
    fd = libc.open(name.encode(), os.O_WRONLY | os.O_CREAT, 0o644)
    if fd >= 0:
        libc.write(fd, b"x" * 4096, 4096)
try:
    import multiprocessing.shared_memory as shm
    shm.SharedMemory(name="hostile-corpus-shm", create=True, size=2**20)
except BaseException as exc:
    print("refused", type(exc).__name__)
