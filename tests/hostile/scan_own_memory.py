# class: secrets in reach — what a child forked from the grader inherited, found by reading its own memory
import ctypes, os

_needles = [HOSTILE["token"].encode(), HOSTILE["secret"].encode(), HOSTILE["hidden"].encode()]
found = set()
try:
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    for fields in regions:
        low, high = (int(x, 16) for x in fields[0].split("-"))
        if "r" not in fields[1] or high - low > 512 * 2**20 or (len(fields) > 5 and fields[5].startswith("[v")):
            continue
        try:
            data = ctypes.string_at(low, high - low)
        except BaseException:
            continue
        for needle in _needles:
            at = data.find(needle)
            if at >= 0:
                found.add(data[max(0, at - 40): at + 120].decode(errors="replace"))
except BaseException as exc:
    print("refused", type(exc).__name__)
print("MEMORY", sorted(found))
