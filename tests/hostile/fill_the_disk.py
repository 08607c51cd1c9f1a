# class: resources — 3 GB written into the work folder (file by file, so a per-file limit is not enough)
import os

chunk = b"\0" * (64 * 2**20)
written = 0
try:
    for n in range(48):
        with open(f"filler-{n}.bin", "wb") as f:
            for _ in range(1):
                f.write(chunk)
                written += len(chunk)
except BaseException as exc:
    print("stopped after", written, type(exc).__name__)
