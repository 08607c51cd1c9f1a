# class: the audit hook is not a boundary — a .pth file in site-packages runs at every Python start
import ctypes, os, site, sys

libc = ctypes.CDLL(None, use_errno=True)
folders = set(site.getsitepackages() + [site.getusersitepackages()] + [p for p in sys.path if "site-packages" in p])
line = b"import os; open(%r, 'w').write('pth ran')\n" % HOSTILE["marker"].encode()
for folder in folders:
    path = os.path.join(folder, "zz_hostile.pth").encode()
    fd = libc.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    if fd >= 0:
        libc.write(fd, line, len(line))
        libc.close(fd)
