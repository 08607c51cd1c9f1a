# class: the network — UDP datagrams (Landlock does not cover UDP; seccomp or a network namespace must)
import ctypes, socket, struct

try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(5):
        s.sendto(b"udp via socket module", ("127.0.0.1", HOSTILE["udp"]))
except BaseException as exc:
    print("refused", type(exc).__name__)
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.socket(socket.AF_INET, socket.SOCK_DGRAM, 0)
if fd >= 0:
    address = struct.pack("=H", socket.AF_INET) + struct.pack("!H4s8x", HOSTILE["udp"], socket.inet_aton("127.0.0.1"))
    libc.sendto(fd, b"udp via libc", 12, 0, address, len(address))
