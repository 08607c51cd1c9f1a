# class: limits per process — a helper in a new session holds memory and outlives the grade
import ctypes, os, time

try:
    pid = os.fork()
except BaseException as exc:
    pid = -1
    print("fork refused", type(exc).__name__)
if pid == 0:
    try:
        os.setsid()
        ctypes.CDLL(None).prctl(15, b"hostile-helper", 0, 0, 0)  # PR_SET_NAME
        hoard = [bytearray(256 * 2**20) for _ in range(12)]
        time.sleep(600)
    finally:
        os._exit(0)
