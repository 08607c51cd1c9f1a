# class: resources — thousands of threads
import threading, time

started = 0
try:
    for _ in range(20_000):
        threading.Thread(target=time.sleep, args=(120,), daemon=True).start()
        started += 1
except BaseException as exc:
    print("stopped after", started, type(exc).__name__)
