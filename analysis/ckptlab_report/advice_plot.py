"""The figures of an advice.json: one PNG per policy with a recommendation, a panel per tuned
parameter with ETTR and its 95% interval per candidate, the recommendation starred and the
settings that violate a constraint crossed and shaded (docs/advise.md)."""

import math
import re

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, NullLocator

from . import plot_common as pc
from . import units
from .advice_panels import INTERVAL, SCENARIO_VALUE, iteration_s, panels

_STAR = "#f2b01e"
_FEASIBLE = "#1f77b4"
_INFEASIBLE = "#d62728"
_SHADE = "#d62728"
_AXIS_LABELS = {
    "replicas": "replicas (copies in peers' host memory)",
    "placement": "placement of the replicas",
    "persist_interval": "persist interval (full copy to storage)",
    "k_pec": "k_pec (experts per MoE layer saved per checkpoint)",
    "selection": "selection of the experts saved",
    "k_snapshot": "k_snapshot (experts per layer kept in host memory)",
}


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
        it_s = iteration_s(rec) or 1.0
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
        it_s = iteration_s(rec) or 1.0
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
