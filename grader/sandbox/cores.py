"""Cores and torch threads: how the grading process shares the machine with the children it forks.

A process that forks children must not have started OpenMP's thread pool
(a child forked after a parallel torch operation hangs in its first one), so
the grading process pins itself to one torch thread before any tensor work
and gives the children the machine's cores (see :class:`grader.sandbox.child.Limits`).
"""

from __future__ import annotations

import os


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def pin_threads() -> int:
    """Keep this process on one torch thread so forked children may use every core; return the count before."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    return threads


def torch_threads(count: int) -> None:
    """Give this process ``count`` torch threads again (after :func:`pin_threads`)."""
    import torch

    torch.set_num_threads(count)


def share(jobs: int) -> tuple[int, int]:
    """(exercises graded at once per submission, torch threads per child) when ``jobs`` submissions run at once."""
    jobs = max(1, jobs)
    parallel = max(1, cores() // jobs)
    return parallel, max(1, cores() // (jobs * parallel))
