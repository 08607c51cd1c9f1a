"""Running student code: loading files, probing cases, and isolated child processes.

Every case has two sides: ``probe`` runs next to the student's code and reports
what it saw, ``runner`` judges that in the grader's own process. Together, in one
process (``inprocess``), they serve trusted runs such as ``pytest exercises``; ``isolation`` with ``zygote`` (the clean process children
are forked from), ``child``, ``protocol`` (what a child may report), ``audit``
(the audit hook) and ``integrity`` grade untrusted submissions one child
process per exercise, each inside the kernel's layers (``layers``:
``landlock``, ``seccomp``, ``netns``, ``resources``).
"""
