# class: the audit hook is not a boundary — execve through ctypes replaces the grading child with a shell
import ctypes, os

libc = ctypes.CDLL(None, use_errno=True)
argv = (ctypes.c_char_p * 4)(b"/bin/sh", b"-c", f"echo exec > {HOSTILE['marker']}".encode(), None)
envp = (ctypes.c_char_p * 1)(None)
libc.execve(b"/bin/sh", argv, envp)
print("execve refused, errno", ctypes.get_errno())
