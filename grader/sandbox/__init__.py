"""Running student code: loading files, probing cases, and isolated child processes.

The in-process runner (``runner``, ``inprocess``) serves trusted runs such as
``pytest exercises``; ``isolation`` with ``child``, ``audit`` (the audit hook)
and ``integrity`` grade untrusted submissions one child process per exercise,
each inside the kernel's layers (``layers``: ``landlock``, ``seccomp``,
``netns``, ``resources``).
"""
