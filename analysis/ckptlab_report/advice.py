"""What `ckptlab advise` found (advice.json): per policy, ETTR against each tuned parameter, the
recommended setting marked and the settings that violate a constraint shaded; and the ranked
table of the recommendations (docs/advise.md).

A candidate's `settings` in advice.json are the keys the search set when it first asked for that
policy entry: a key it did not set has the scenario's value, a key set to null the policy's
default. The parameter spaces below mirror core/advise/policy_space.cpp (values, order, whether
ordinal, the default); a key missing from them is drawn as categorical, in order of appearance.
"""

import math
import os
import re
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, NullLocator

from . import plot_common as pc
from . import units
from .document import Heading, Image, Paragraph, Table

FILENAME = "advice.json"
INTERVAL = "interval_iterations"

# key -> (ordinal, the policy's default: what a null setting means)
_PARAMETERS = {
    "replicas": (True, "1"),
    "placement": (False, "group"),
    "persist_interval": (True, "3h"),
    "k_pec": (True, "1"),
    "selection": (False, "sequential"),
    "k_snapshot": (False, "auto"),
}
_ORDER = {"placement": ["group", "ring"], "selection": ["sequential", "load_aware"]}
_AXIS_LABELS = {
    "replicas": "replicas (copies in peers' host memory)",
    "placement": "placement of the replicas",
    "persist_interval": "persist interval (full copy to storage)",
    "k_pec": "k_pec (experts per MoE layer saved per checkpoint)",
    "selection": "selection of the experts saved",
    "k_snapshot": "k_snapshot (experts per layer kept in host memory)",
}
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

_STAR = "#f2b01e"
_FEASIBLE = "#1f77b4"
_INFEASIBLE = "#d62728"
_SHADE = "#d62728"


@dataclass
class Advice:
    path: str
    data: dict


def find(directory):
    path = os.path.join(directory, FILENAME)
    return path if os.path.isfile(path) else None


def load(path, read_json, problem):
    """The Advice in `path`; raises `problem` (InputProblem) when the file is not advice.json."""
    j = read_json(path)
    if not isinstance(j, dict) or not isinstance(j.get("policies"), list) or "scenario" not in j:
        raise problem(f"{path}: no `scenario` and `policies`: not a ckptlab advice.json")
    for i, p in enumerate(j["policies"]):
        if not isinstance(p, dict) or "policy" not in p or not isinstance(
                p.get("candidates", []), list):
            raise problem(f"{path}: policies[{i}] has no `policy` (or its `candidates` are not a "
                          "list)")
    return Advice(path, j)


# --- values of the parameters ------------------------------------------------------------------

def _seconds(text):
    m = re.fullmatch(r"\s*([0-9.]+)\s*(s|m|min|h|d)?\s*", str(text))
    if not m:
        return None
    scale = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, None: 1}[m.group(2)]
    return float(m.group(1)) * scale


def _duration_text(seconds):
    for unit, scale in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= scale and abs(seconds / scale - round(seconds / scale)) < 1e-9:
            return f"{round(seconds / scale)}{unit}"
    return f"{seconds:g}s"


def _iteration_s(c):
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
        it = _iteration_s(c)
        return _duration_text(int(v) * it) if it else None
    return v


def _same(key, a, b):
    if key == "persist_interval" and _seconds(a) is not None and _seconds(b) is not None:
        return abs(_seconds(a) - _seconds(b)) < 1e-6
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
            default = _PARAMETERS.get(k, (False, None))[1]
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
            return _PARAMETERS.get(k, (False, SCENARIO_VALUE))[1] or SCENARIO_VALUE
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


def _valid(c):
    return c.get("ettr") is not None and not c.get("invalid")


def panels(policy):
    """One Panel per tuned key (the interval last), with the candidates to draw."""
    rec = policy.get("recommended")
    if not rec:
        return []
    keys = _keys(policy)
    res = _Resolver(policy, keys)
    rec_values = {k: res.value(rec, k, policy.get("settings") or {}) for k in keys}
    cands = [c for c in policy.get("candidates") or [] if _valid(c)]
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
        ordinal = _PARAMETERS.get(k, (None,))[0]
        if ordinal is None:
            ordinal = all(_seconds(v) is not None for v in by_value if v != SCENARIO_VALUE)
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
            s = _seconds(v)
            return (0, s if s is not None else math.inf, v)
        return (1, 0.0, v)
    return sorted(items, key=rank) if ordinal or order else items


# --- the figures -------------------------------------------------------------------------------

def _filename(label, used):
    base = "advice_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_") + ".png"
    name, n = base, 2
    while name in used:
        name = base.replace(".png", f"_{n}.png")
        n += 1
    used.add(name)
    return name


def _shade_runs(xs, infeasible):
    """Runs of consecutive infeasible points: [(first index, last index, constraint)]."""
    runs, i = [], 0
    while i < len(xs):
        if infeasible[i]:
            j = i
            while j + 1 < len(xs) and infeasible[j + 1] == infeasible[i]:
                j += 1
            runs.append((i, j, infeasible[i]))
            i = j + 1
        else:
            i += 1
    return runs


def _draw_panel(ax, panel, policy):
    rec = policy["recommended"]
    pts = panel.points
    if panel.key == INTERVAL:
        it_s = _iteration_s(rec) or 1.0
        xs = [float(it) * it_s for it, _ in pts]
    else:
        xs = list(range(len(pts)))
    cands = [c for _, c in pts]
    ys = [c["ettr"] for c in cands]
    errs = [c.get("ci95") or 0.0 for c in cands]
    infeasible = [None if c.get("feasible", True) else (c.get("violated") or "a constraint")
                  for c in cands]
    # Axis range first: the shading runs to the edges.
    if panel.key == INTERVAL:
        ax.set_xscale("log")
        lo, hi = min(xs), max(xs)
        pad = max(0.12, 0.08 * math.log10(hi / lo)) if hi > lo else 0.3
        ax.set_xlim(lo / 10 ** pad, hi * 10 ** pad)
    else:
        ax.set_xlim(-0.6, len(pts) - 0.4)
    low = min(y - e for y, e in zip(ys, errs))
    high = max(y + e for y, e in zip(ys, errs))
    span = max(high - low, 0.002)
    # Room below the data for the box naming what is not plotted, above it for the labels.
    below = 0.12 + (0.13 * (min(len(panel.left_out), 4) + 1) if panel.left_out else 0)
    ax.set_ylim(max(0.0, low - below * span) if not panel.left_out else low - below * span,
                min(1.0, high + 0.2 * span) if high < 1 else 1.005)
    x_lo, x_hi = ax.get_xlim()
    shaded = []
    for i, j, constraint in _shade_runs(xs, infeasible):
        if panel.key == INTERVAL:
            a = x_lo if i == 0 else xs[i] / 10 ** 0.03
            b = x_hi if j == len(xs) - 1 else xs[j] * 10 ** 0.03
            if i == 0 and j < len(xs) - 1:
                b = xs[j]  # infeasible below: shaded up to the last infeasible value
            if j == len(xs) - 1 and i > 0:
                a = xs[i]  # infeasible above: shaded from the first infeasible value on
        else:
            a = x_lo if i == 0 and panel.ordinal else xs[i] - 0.45
            b = x_hi if j == len(xs) - 1 and panel.ordinal else xs[j] + 0.45
            if panel.ordinal and i == 0 and j < len(xs) - 1:
                b = xs[j]
            if panel.ordinal and j == len(xs) - 1 and i > 0:
                a = xs[i]
        ax.axvspan(a, b, color=_SHADE, alpha=0.12, linewidth=0, zorder=0)
        # The label inside the axes: at the edge the region touches, else at its middle.
        if b >= x_hi and a > x_lo:
            where, ha = x_hi, "right"
        elif a <= x_lo and b < x_hi:
            where, ha = x_lo, "left"
        else:
            where, ha = (math.sqrt(a * b) if panel.key == INTERVAL else (a + b) / 2), "center"
        ax.annotate(f"infeasible: {constraint}", (where, 0.985), xycoords=ax.get_xaxis_transform(),
                    xytext=(-3 if ha == "right" else 3 if ha == "left" else 0, 0),
                    textcoords="offset points", ha=ha, va="top", fontsize=8, color="#a01010",
                    zorder=6)
        shaded.append(constraint)
    # Ordinal values (and the interval) joined by a line, the candidates on it.
    if panel.ordinal and len(xs) > 1:
        ax.plot(xs, ys, color="#999999", linewidth=1, zorder=2)
    for x, y, e, c, bad in zip(xs, ys, errs, cands, infeasible):
        if c is rec:
            continue
        color = _INFEASIBLE if bad else _FEASIBLE
        ax.errorbar([x], [y], yerr=[[min(e, y)], [min(e, 1 - y)]], fmt="o" if not bad else "X",
                    markersize=6 if not bad else 7, color=color, capsize=3, elinewidth=1.1,
                    markerfacecolor="white" if bad else color, markeredgewidth=1.5, zorder=3)
    ri = next(i for i, c in enumerate(cands) if c is rec)
    e = errs[ri]
    ax.errorbar([xs[ri]], [ys[ri]], yerr=[[min(e, ys[ri])], [min(e, 1 - ys[ri])]], fmt="none",
                color="black", capsize=4, elinewidth=1.3, zorder=4)
    ax.plot([xs[ri]], [ys[ri]], marker="*", markersize=17, color=_STAR, markeredgecolor="black",
            markeredgewidth=0.8, linestyle="none", zorder=5)
    value = pts[ri][0]
    text = (f"{value} it ({units.duration(xs[ri])})" if panel.key == INTERVAL else str(value))
    # The label on the side with more room.
    ci = f" ± {errs[ri]:.4f}" if errs[ri] else ""
    recommended = f"\u2605 recommended: {text}, ETTR {ys[ri]:.4f}{ci}"
    if panel.key == INTERVAL:
        ticks = _nice_durations(x_lo, x_hi)
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([units.short_duration(t) if t >= 60 else f"{t:g}s" for t in ticks])
        it_s = _iteration_s(rec) or 1.0
        top = ax.secondary_xaxis("top", functions=(lambda s: s / it_s, lambda k: k * it_s))
        top.set_xlabel("iterations between checkpoints", fontsize=8)
        top.tick_params(labelsize=8)
        kept = [float(pts[ri][0])]  # the evaluated counts, none within 0.07 decades of another
        for it in sorted({float(it) for it, _ in pts}):
            if all(abs(math.log10(it / k)) >= 0.07 for k in kept):
                kept.append(it)
        kept.sort()
        top.xaxis.set_major_locator(FixedLocator(kept))
        top.xaxis.set_minor_locator(NullLocator())
        top.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlabel("checkpoint interval (log scale; time at "
                      f"{units.duration(it_s)} per iteration)", fontsize=9)
    else:
        ax.set_xticks(xs)
        ax.set_xticklabels([str(v) for v, _ in pts], fontsize=9)
        ax.set_xlabel(_AXIS_LABELS.get(panel.key, panel.key), fontsize=9)
    ax.set_ylabel("ETTR (± 95% CI)", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    # The recommendation is named above the panel, where it covers no data.
    ax.set_title(f"{panel.key if panel.key != INTERVAL else 'checkpoint interval'}\n"
                 f"{recommended}", fontsize=9.5, pad=4 if panel.key != INTERVAL else 6)
    if panel.left_out:
        lines = [f"{v} ({', '.join(o)}): ETTR {c['ettr']:.4f}" +
                 ("" if c.get("feasible", True) else f", violates {c.get('violated')}")
                 for v, o, c in panel.left_out[:3]]
        if len(panel.left_out) > 3:
            lines.append(f"and {len(panel.left_out) - 3} more (advice.json)")
        ax.text(0.02, 0.03, "not plotted, as they differ in another parameter too:\n" +
                "\n".join(lines), transform=ax.transAxes, ha="left", va="bottom", fontsize=7,
                color="#555555", bbox=dict(boxstyle="round,pad=0.3", fc="#f7f7f7",
                                           ec="#cccccc", alpha=0.9), zorder=7)
    return shaded


_NICE = [1, 2, 3, 5, 10, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 2 * 3600,
         3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400]


def _nice_durations(lo, hi):
    inside = [t for t in _NICE if lo <= t <= hi]
    if len(inside) < 2:
        inside = [t for t in (lo * 10 ** (k / 4) for k in range(1, 4 * 4)) if t < hi][:6]
        inside = [float(f"{t:.2g}") for t in inside]
    while len(inside) > 6:
        inside = inside[::2]
    return inside


def figures(results, out_dir):
    """One PNG per policy with a recommendation: [(policy label, Figure)]."""
    a = getattr(results, "advice", None)
    if a is None:
        return []
    used, out = set(), []
    for policy in a.data["policies"]:
        ps = [p for p in panels(policy) if p.points]
        if not ps:
            continue
        fig, axes = pc.grid(len(ps), width=5.2 if len(ps) > 1 else 7.5, height=4.2)
        shaded, left_out = [], 0
        for ax, panel in zip(axes, ps):
            shaded += _draw_panel(ax, panel, policy)
            left_out += len(panel.left_out)
        any_bad = any(not c.get("feasible", True) for p in ps for _, c in p.points)
        handles = [Line2D([], [], marker="*", markersize=14, color=_STAR, markeredgecolor="black",
                          linestyle="none"),
                   Line2D([], [], marker="o", color=_FEASIBLE, linestyle="none")]
        labels = ["recommended", "feasible candidate"]
        if any_bad:
            handles.append(Line2D([], [], marker="X", color=_INFEASIBLE, markerfacecolor="white",
                                  markeredgewidth=1.5, linestyle="none", markersize=8))
            labels.append("violates a constraint")
        if shaded:
            handles.append(Patch(color=_SHADE, alpha=0.25))
            labels.append("infeasible region")
        name = _filename(policy["policy"], used)
        pc.finish(fig, out_dir, name, f"{policy['policy']}: ETTR against each tuned parameter",
                  handles, labels)
        out.append((policy["policy"], pc.Figure(name, f"{policy['policy']}: ETTR against each "
                                                "tuned parameter", _caption(policy, ps))))
    return out


def _caption(policy, ps):
    reps = sorted({c.get("replications") for p in ps for _, c in p.points
                   if c.get("replications")})
    over = (f"{reps[0]}" if len(reps) == 1 else f"{reps[0]} to {reps[-1]}") if reps else "the"
    text = (f"The candidates `ckptlab advise` evaluated for **{policy['policy']}**, one panel per "
            "tuned parameter: ETTR with its 95% confidence interval (over "
            f"{over} replications; the recommendation and the finalists were run with more). "
            "Every candidate sees the same failures, so the differences between them are far "
            "more certain than these intervals suggest (the search compares paired differences; "
            "the table's `vs best`). The star is the recommended setting. Each panel varies one "
            "parameter and keeps the others at the recommendation")
    discrete = [p for p in ps if p.key != INTERVAL]
    if discrete and any(p.key == INTERVAL for p in ps):
        text += ("; in the panels of discrete parameters each value is shown at the interval "
                 "the search ran it with (its own closed-form interval), the recommendation at "
                 "its searched interval")
    text += "."
    if any(p.key == INTERVAL for p in ps):
        text += (" The interval's panel has a log axis: time at the bottom, iterations at the "
                 "top.")
    left = [(p.key, len(p.left_out)) for p in ps if p.left_out]
    if left:
        text += (" Candidates of a parameter that also differ from the recommendation in another "
                 "parameter (the coordinate search tried them before the later parameters were "
                 "settled) are not plotted: " +
                 ", ".join(f"{n} of `{k}`" for k, n in left) + "; the panel names them in "
                 "its grey box (all are in advice.json).")
    bad = sorted({c.get("violated") for p in ps for _, c in p.points
                  if not c.get("feasible", True) and c.get("violated")})
    if bad:
        text += (" Open red crosses violate a constraint (" + ", ".join(f"`{b}`" for b in bad) +
                 "); the shaded region is infeasible, from the first infeasible value evaluated "
                 "on (the boundary itself lies between that value and its feasible neighbour).")
    if any(v == SCENARIO_VALUE for p in ps for v, _ in p.points):
        text += (f" `{SCENARIO_VALUE}`: the scenario's own value, which advice.json does not "
                 "state.")
    return text


# --- the report's section ----------------------------------------------------------------------

def _settings_text(policy):
    settings = policy.get("settings") or {}
    if not settings:
        return "as in the scenario"
    rec = policy.get("recommended") or {}
    parts = []
    for k, v in settings.items():
        if v is None:
            default = _PARAMETERS.get(k, (False, None))[1]
            parts.append(f"{k}={default} (default)" if default else f"{k}=(default)")
        elif k == INTERVAL and rec.get("interval_s"):
            parts.append(f"{k}={v} ({units.duration(rec['interval_s'])})")
        else:
            parts.append(f"{k}={v}")
    return ", ".join(parts)


def _vs_best(policy, rank):
    vb = policy.get("vs_best")
    if rank == 1 or not vb:
        return "best" if rank == 1 else ""
    text = f"{vb.get('ettr', 0):+.4f}"
    if vb.get("ci95") is not None:
        text += f" ± {vb['ci95']:.4f}"
    return text


def _constraints_text(a):
    c = a.data.get("constraints") or {}
    parts = []
    if c.get("host_memory_per_node_bytes"):
        parts.append(f"`host_memory`: {units.size(c['host_memory_per_node_bytes'])} per node "
                     "(the hardware profile)")
    if c.get("max_lost_tokens") is not None:
        parts.append(f"`max_lost_tokens`: lost_tokens_fraction ≤ {c['max_lost_tokens']:g}")
    return "; ".join(parts) or "none"


def blocks(results, figs):
    a = getattr(results, "advice", None)
    if a is None:
        return []
    d = a.data
    out = [Heading(2, "Advice (`ckptlab advise`)"),
           Paragraph(
               f"From `{a.path}`: scenario `{d.get('scenario')}`, every policy's parameters "
               f"searched on the {d.get('search_backend', '?')} backend with "
               f"{d.get('replications', '?')} replication(s) per candidate, the finalists "
               f"confirmed on the {d.get('confirm_backend', '?')} backend with up to "
               f"{d.get('max_replications', '?')}; tolerance {d.get('tolerance', '?')}; "
               f"{d.get('evaluations', '?')} candidates evaluated, "
               f"{d.get('replications_simulated', '?')} replications simulated. Constraints: "
               f"{_constraints_text(a)}. `advised.yaml` is the scenario with every "
               "recommendation; `ckptlab run` it to reproduce these figures.")]
    rows = []
    for i, p in enumerate(d["policies"]):
        rank = p.get("rank", i + 1)
        r = p.get("recommended")
        if r:
            ettr = f"{r['ettr']:.4f}" + (f" ± {r['ci95']:.4f}" if r.get("ci95") is not None
                                          else "")
            if r.get("replications"):
                ettr += f" ({r['replications']} reps)"
        else:
            ettr = "no feasible candidate"
        rows.append([str(rank), p["policy"], _settings_text(p) if r else "-", ettr,
                     _vs_best(p, rank) if r else "",
                     f"`{p['binding_constraint']}`" if p.get("binding_constraint") else "none",
                     str(p.get("evaluations", len(p.get("candidates") or [])))])
    out += [Heading(3, "Recommendations, ranked"),
            Table(["rank", "policy", "recommended settings", "ETTR ± 95% CI", "vs best",
                   "binding constraint", "evaluations"], rows, numeric=(0, 3, 4, 6)),
            Paragraph("Vs best: the paired ETTR difference to the best recommendation ± its 95% "
                      "half-width (every candidate sees the same failures, so it is tighter than "
                      "either ETTR's interval). A constraint binds when the best candidate "
                      "ignoring it violates it and is significantly better than the "
                      "recommendation. `(default)`: the key is left to the policy's default.")]
    notes = [f"**{p['policy']}**: {n}" for p in d["policies"] for n in p.get("notes") or []]
    notes += [f"**{p['policy']}** is held back by `{p['binding_constraint']}` "
              f"({p['binding_detail']}): a better candidate violates it" for p in d["policies"]
              if p.get("binding_constraint") and p.get("binding_detail")]
    if notes:
        out.append(Paragraph("Notes: " + "; ".join(notes) + "."))
    for label, f in figs:
        out += [Heading(3, f.title), Image(f.filename, f.title, f.caption)]
    return out
