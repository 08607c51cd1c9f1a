import atexit
import os
import sys

from grader.frontends.cli import main

code = main()
# Every result is written by now. The interpreter's own teardown would only run torch's C++ destructors,
# which page in over 100 MB of its libraries for nothing: the highest memory of a whole grade, on the
# platform's meter (Gradescope's container counts it). The exit functions run, the output is flushed,
# and the process ends without that teardown.
atexit._run_exitfuncs()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
