"""The parameter spaces of `ckptlab advise` (mirroring core/advise/policy_space.cpp: values, order,
whether ordinal, the default) and, per policy of an advice.json, the candidates each tuned
parameter's panel shows: the recommendation's neighbours that differ from it in that parameter
alone.

A candidate's `settings` in advice.json are the keys the search set when it first asked for that
policy entry: a key it did not set has the scenario's value, a key set to null the policy's
default; a key missing from the spaces below is drawn as categorical, in order of appearance.
"""

import math
import re
from dataclasses import dataclass

INTERVAL = "interval_iterations"

# key -> (ordinal, the policy's default: what a null setting means)
PARAMETERS = {
    "replicas": (True, "1"),
    "placement": (False, "group"),
    "persist_interval": (True, "3h"),
    "k_pec": (True, "1"),
    "selection": (False, "sequential"),
    "k_snapshot": (False, "auto"),
}
_ORDER = {"placement": ["group", "ring"], "selection": ["sequential", "load_aware"]}
# Where a key the search left out can be read from the candidate's description (the policies'
# describe()): used only when every candidate that does set the key agrees with it.
_FROM_DESCRIPTION = {
    "replicas": re.compile(r"(\d+) (?:group |ring )?replica\(s\)"),
    "placement": re.compile(r"\d+ (group|ring) replica\(s\)"),
    "persist_interval": re.compile(r"persist every (\d+) iterations"),
    "k_pec": re.compile(r"PEC (\d+) of \d+ experts"),
    "selection": re.compile(r"experts per MoE layer \((sequential|load-aware)"),
}
SCENARIO_VALUE = "as in the scenario"


# --- values of the parameters ------------------------------------------------------------------

def seconds_of(text):
    m = re.fullmatch(r"\s*([0-9.]+)\s*(s|m|min|h|d)?\s*", str(text))
    if not m:
        return None
    scale = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, None: 1}[m.group(2)]
    return float(m.group(1)) * scale


def duration_text(seconds):
    for unit, scale in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= scale and abs(seconds / scale - round(seconds / scale)) < 1e-9:
            return f"{round(seconds / scale)}{unit}"
    return f"{seconds:g}s"


def iteration_s(c):
    if c.get("interval_s") and c.get(INTERVAL):
        return c["interval_s"] / c[INTERVAL]
    return None


def _described(key, c):
    rx = _FROM_DESCRIPTION.get(key)
    m = rx.search(c.get("description") or "") if rx else None
    if not m:
        return None
    v = m.group(1)
    if key == "selection":
        return v.replace("-", "_")
    if key == "persist_interval":
        it = iteration_s(c)
        return duration_text(int(v) * it) if it else None
    return v


def _same(key, a, b):
    if key == "persist_interval" and seconds_of(a) is not None and seconds_of(b) is not None:
        return abs(seconds_of(a) - seconds_of(b)) < 1e-6
    return str(a) == str(b)


class _Resolver:
    """Each candidate's value of each tuned key: as set, the default for null, the scenario's
    value (when it can be known) for a key the search did not set."""

    def __init__(self, policy, keys):
        self.keys = keys
        settings = policy.get("settings") or {}
        self.scenario = {}
        cands = [c for c in policy.get("candidates") or []]
        for k in keys:
            default = PARAMETERS.get(k, (False, None))[1]
            if k in settings and settings[k] is None and default is not None:
                # A null recommendation: the scenario leaves the key to the policy's default.
                self.scenario[k] = default
                continue
            explicit = [c for c in cands if (c.get("settings") or {}).get(k) is not None]
            trusted = bool(explicit) and all(
                _described(k, c) is not None and _same(k, _described(k, c), c["settings"][k])
                for c in explicit)
            self.scenario[k] = "describe" if trusted else None

    def value(self, c, k, settings=None):
        s = (c.get("settings") or {}) if settings is None else settings
        if k in s:
            if s[k] is not None:
                return str(s[k])
            return PARAMETERS.get(k, (False, SCENARIO_VALUE))[1] or SCENARIO_VALUE
        known = self.scenario.get(k)
        if known == "describe":
            return _described(k, c) or SCENARIO_VALUE
        return known or SCENARIO_VALUE


def _keys(policy):
    """The tuned discrete keys of a policy, in the search's order (as its settings list them)."""
    keys = [k for k in (policy.get("settings") or {}) if k not in (INTERVAL, "interval")]
    for c in policy.get("candidates") or []:
        for k in c.get("settings") or {}:
            if k not in keys and k not in (INTERVAL, "interval"):
                keys.append(k)
    return keys


def _searches_interval(policy):
    return INTERVAL in (policy.get("settings") or {}) or any(
        INTERVAL in (c.get("settings") or {}) for c in policy.get("candidates") or [])


@dataclass
class Panel:
    key: str
    points: list      # [(value text, candidate)], the recommendation's own value included
    left_out: list    # (value, ["key=value" where it differs too], candidate) of the key's
                      # candidates that also differ from the recommendation in another key
    ordinal: bool


def valid(c):
    return c.get("ettr") is not None and not c.get("invalid")


def panels(policy):
    """One Panel per tuned key (the interval last), with the candidates to draw."""
    rec = policy.get("recommended")
    if not rec:
        return []
    keys = _keys(policy)
    res = _Resolver(policy, keys)
    rec_values = {k: res.value(rec, k, policy.get("settings") or {}) for k in keys}
    cands = [c for c in policy.get("candidates") or [] if valid(c)]
    is_rec = lambda c: c.get("settings") == rec.get("settings") and \
        c.get("ettr") == rec.get("ettr")  # noqa: E731
    out = []
    for k in keys:
        by_value, left_out = {}, []
        for c in cands:
            values = {q: res.value(c, q) for q in keys}
            others = [f"{q}={values[q]}" for q in keys
                      if q != k and not _same(q, values[q], rec_values[q])]
            if others:
                if not _same(k, values[k], rec_values[k]):
                    left_out.append((values[k], others, c))
                continue
            v = values[k]
            if _same(k, v, rec_values[k]):
                by_value[rec_values[k]] = rec  # the recommendation, at its searched interval
                continue
            # A value run at more than one interval: the best of them.
            if v not in by_value or c["ettr"] > by_value[v]["ettr"]:
                by_value[v] = c
        by_value.setdefault(rec_values[k], rec)
        ordinal = PARAMETERS.get(k, (None,))[0]
        if ordinal is None:
            ordinal = all(seconds_of(v) is not None for v in by_value if v != SCENARIO_VALUE)
        out.append(Panel(k, _ordered(k, list(by_value.items()), ordinal), left_out, ordinal))
    if _searches_interval(policy):
        points, left_out = [], []
        for c in cands:
            others = [f"{q}={res.value(c, q)}" for q in keys
                      if not _same(q, res.value(c, q), rec_values[q])]
            if others:
                if c.get(INTERVAL) != rec.get(INTERVAL):
                    left_out.append((f"{c.get(INTERVAL)} it", others, c))
                continue
            points.append((c[INTERVAL], rec if is_rec(c) else c))
        if not any(c is rec for _, c in points):
            points.append((rec.get(INTERVAL), rec))
        # The same interval once: the recommendation's evaluation if it is one of them.
        seen = {}
        for it, c in points:
            if it not in seen or c is rec:
                seen[it] = c
        out.append(Panel(INTERVAL, sorted(seen.items(), key=lambda kv: kv[0]), left_out, True))
    return out


def _ordered(key, items, ordinal):
    order = _ORDER.get(key)

    def rank(item):
        v = item[0]
        if v == SCENARIO_VALUE:
            return (2, 0.0, v)
        if order and v in order:
            return (0, float(order.index(v)), v)
        if ordinal:
            s = seconds_of(v)
            return (0, s if s is not None else math.inf, v)
        return (1, 0.0, v)
    return sorted(items, key=rank) if ordinal or order else items
