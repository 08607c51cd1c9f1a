# class: stalling the batch — ignore SIGTERM, close the report pipe, spin forever
import os, signal

for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGXCPU):
    try:
        signal.signal(sig, signal.SIG_IGN)
    except BaseException:
        pass
os.closerange(3, 1024)
while True:
    pass
