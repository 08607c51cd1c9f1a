# class: the network — a TCP connection to a listener outside the sandbox (socket module and raw syscalls)
import ctypes, os, socket, struct

try:
    with socket.create_connection(("127.0.0.1", HOSTILE["tcp"]), timeout=3) as s:
        s.sendall(b"tcp via socket module\n")
except BaseException as exc:
    print("refused", type(exc).__name__)
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
if fd >= 0:
    address = struct.pack("!HH4s8x", socket.AF_INET, HOSTILE["tcp"], socket.inet_aton("127.0.0.1"))
    address = struct.pack("=H", socket.AF_INET) + address[2:]
    if libc.connect(fd, address, len(address)) == 0:
        libc.write(fd, b"tcp via libc\n", 13)
for family in (socket.AF_INET6,):
    try:
        with socket.create_connection(("::1", HOSTILE["tcp"]), timeout=3) as s:
            s.sendall(b"tcp6\n")
    except BaseException:
        pass
