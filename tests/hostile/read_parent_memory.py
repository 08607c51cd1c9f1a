# class: secrets in reach — the grading process's memory through ptrace and process_vm_readv
import ctypes, os

libc = ctypes.CDLL(None, use_errno=True)
parent = os.getppid()
print("ptrace attach:", libc.ptrace(16, parent, 0, 0), ctypes.get_errno())  # PTRACE_ATTACH


class IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


buffer = ctypes.create_string_buffer(4096)
local = IOVec(ctypes.cast(buffer, ctypes.c_void_p), 4096)
try:
    with open(f"/proc/{parent}/maps") as maps:
        start = int(maps.readline().split("-")[0], 16)
except OSError:
    start = 0x400000
remote = IOVec(start, 4096)
print("process_vm_readv:", libc.process_vm_readv(parent, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0))
