"""Numbers as people read them: durations, sizes, fractions (the CLI's own conventions)."""

import math


def duration(seconds):
    """'8.75 s', '30.0 min', '6.19 h', '7.00 d'; '' for None."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return ""
    s = float(seconds)
    if s == 0:
        return "0 s"
    if s < 1:
        return f"{s * 1000:.3g} ms"
    if s < 120:
        return f"{s:.3g} s"
    if s < 2 * 3600:
        return f"{s / 60:.3g} min"
    if s < 2 * 86400:
        return f"{s / 3600:.3g} h"
    return f"{s / 86400:.3g} d"


def short_duration(seconds):
    """Axis tick labels: '10m', '1h', '24h', '3d' (the scenario file's own spelling)."""
    s = float(seconds)
    if s < 3600:
        return f"{s / 60:.3g}m"
    if s <= 72 * 3600:
        return f"{s / 3600:.3g}h"
    return f"{s / 86400:.3g}d"


def size(num_bytes):
    """SI sizes as the CLI prints them: '9.39 TB', '512 GB'."""
    if num_bytes is None:
        return ""
    b = float(num_bytes)
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= scale:
            return f"{b / scale:.3g} {unit}"
    return f"{b:.0f} B"


def hours(seconds):
    return "" if seconds is None else f"{float(seconds) / 3600:.2f} h"


def ratio(value, digits=4):
    return "" if value is None else f"{float(value):.{digits}f}"


def count(value):
    return "" if value is None else f"{int(round(float(value))):,}"
