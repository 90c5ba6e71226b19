"""Bars: where each policy's time goes (the ledger's categories), and what one checkpoint costs
(bytes written, training stall).
"""

from statistics import median

import matplotlib
import matplotlib.pyplot as plt

from . import plot_common as pc
from . import units
from .load import TIME_CATEGORIES

def _breakdown_panels(results):
    """Points whose time breakdown is drawn: for a failure sweep the most and least reliable
    ends of each combination of the other axes, else points spread over the sweep."""
    by_point = {}
    for r in results.rows:
        by_point.setdefault(r["point"], []).append(r)
    failure_axes = [a for a in results.varying_axes() if a.startswith("failures")]
    if not failure_axes:
        chosen = pc.pick(list(by_point))
    else:
        chosen = []
        for _, rows in pc.pick(pc.groups(results, failure_axes), 4):
            ends = sorted({r["point"] for r in rows}, key=lambda p: by_point[p][0]["job_mtbf_s"])
            chosen += [ends[0]] + ([ends[-1]] if len(ends) > 1 else [])
    axes = results.varying_axes()
    return [(pc.title(tuple((a, by_point[p][0][a]) for a in axes), results), by_point[p])
            for p in chosen]


def time_breakdown(results, out_dir):
    panels = _breakdown_panels(results)
    categories = [c for c in TIME_CATEGORIES if c != "productive"]
    # A failure sweep's panels come in pairs (most, least frequent failures): one pair a row.
    paired = any(a.startswith("failures") for a in results.varying_axes())
    fig, axes = pc.grid(len(panels), width=6.2 if len(panels) > 1 else 8.5,
                        cols=2 if paired and len(panels) > 1 else None,
                        height=0.45 * len(results.policies) + 1.6)
    for ax, (title, rows) in zip(axes, panels):
        rows = [r for p in results.policies for r in rows if r["policy"] == p]
        y = list(range(len(rows)))[::-1]
        left = [0.0] * len(rows)
        for c in categories:
            share = [100 * (r.get(f"{c}_s") or 0) / r["wall_s"] for r in rows]
            ax.barh(y, share, left=left, color=pc.CATEGORY_COLORS[c], label=pc.CATEGORY_LABELS[c],
                    height=0.65)
            left = [a + b for a, b in zip(left, share)]
        # The bar's length is 1 - ETTR; with replications its 95% interval is ETTR's, drawn
        # at the bar's end (cut at 0 and 100%) and written in the label.
        ends = []
        for yi, total, r in zip(y, left, rows):
            ci = 100 * (r.get("ettr_ci95") or 0)
            if ci > 0:
                ax.errorbar([total], [yi], xerr=[[min(ci, total)], [min(ci, 100 - total)]],
                            color="black", capsize=4, elinewidth=1.2, fmt="none")
            end = min(total + ci, 100)
            ends.append(end)
            label = f"ETTR {r['ettr']:.3f}" + (f" ± {r['ettr_ci95']:.3f}" if ci > 0 else "")
            ax.text(end, yi, "  " + label, va="center", fontsize=8)
        ax.set_yticks(y)
        ax.set_yticklabels([r["policy"] for r in rows], fontsize=9)
        widest = max(ends)
        room = 0.4 if any(r.get("ettr_ci95") for r in rows) else 0.35  # for the ETTR label
        ax.set_xlim(0, min(widest * (1 + room) + 0.5, 100 * (1 + room)))
        if ax.get_xlim()[1] > 100:  # the room right of 100% is the label's, not a share
            ax.set_xticks([t for t in ax.get_xticks() if 0 <= t <= 100])
        ax.set_xlabel("% of wall time not spent on kept training (100 × (1 - ETTR))")
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_title(title if results.kind == "sweep" else "", fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color=pc.CATEGORY_COLORS[c]) for c in categories]
    pc.finish(fig, out_dir, "time_breakdown.png", "Where the time goes, per policy",
            handles, [pc.CATEGORY_LABELS[c] for c in categories])
    return pc.Figure("time_breakdown.png", "Time breakdown",
                  "Each bar is a policy's wall time minus its productive training, split by "
                  "cause (the ledger's categories sum exactly to wall time); the label is its "
                  "ETTR. Checkpoint stall: training waits for a checkpoint; background slowdown: "
                  "training slowed by checkpoint traffic; lost work: iterations recomputed "
                  "after a rollback; detection, restart and checkpoint load: the recovery." +
                  (" The black error bar at a bar's end and the ± in its label: the 95% "
                   "confidence interval of ETTR over the replications." if results.has_ci()
                   else ""))


def _group_label(key, results):
    """A bar group's tick label, one line per named axis; a model is named by itself."""
    named = set(results.label_axes())
    lines = [str(v) if a == "model" else f"{pc.short(a)} {v}" for a, v in key if a in named]
    return "\n".join(lines) or results.name


def _bars(ax, groups, results, styles, field, fmt):
    width = 0.8 / len(results.policies)
    values, bars = [], []
    for gi, (_, rows) in enumerate(groups):
        for pi, p in enumerate(results.policies):
            v = [r[field] for r in rows if r["policy"] == p and r.get(field) is not None]
            if not v:
                continue
            value = median(v)
            values.append(value)
            x = gi - 0.4 + width * (pi + 0.5)
            ax.bar(x, value, width=width * 0.92, color=styles[p][0])
            bars.append((x, value))
    positive = [v for v in values if v > 0]
    log = positive and max(positive) / min(positive) > 30
    if log:
        ax.set_yscale("log")
        ax.set_ylim(min(positive) / 3, max(positive) * 12)
    else:
        ax.set_ylim(0, max(values + [1e-12]) * 1.35)
    bottom = ax.get_ylim()[0]
    for x, value in bars:  # a 0 has no bar on a log axis: its label sits at the bottom
        ax.annotate(fmt(value), (x, value if value > 0 or not log else bottom), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7,
                    rotation=90)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([_group_label(k, results) for k, _ in groups], fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)


def checkpoint_cost(results, out_dir):
    failure_axes = [a for a in results.axes if a.startswith("failures")]
    groups = pc.pick(pc.groups(results, failure_axes))
    styles = pc.styles(results.policies)
    fig, (size_ax, stall_ax) = plt.subplots(1, 2, figsize=(max(11, 2.2 * len(groups) + 6), 5.2))
    _bars(size_ax, groups, results, styles, "checkpoint_bytes", units.size)
    size_ax.set_ylabel("bytes written per checkpoint")
    size_ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
        lambda v, _: units.size(v)))
    size_ax.set_title("Checkpoint size", fontsize=11)
    _bars(stall_ax, groups, results, styles, "mean_checkpoint_stall_s", units.duration)
    stall_ax.set_ylabel("training stall per checkpoint")
    stall_ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
        lambda v, _: units.duration(v)))
    stall_ax.set_title("Stall per checkpoint", fontsize=11)
    handles = [plt.Rectangle((0, 0), 1, 1, color=styles[p][0]) for p in results.policies]
    pc.finish(fig, out_dir, "checkpoint_cost.png", "What one checkpoint costs, per policy",
            handles, results.policies)
    return pc.Figure("checkpoint_cost.png", "Checkpoint size and stall",
                  "Left: bytes one checkpoint writes (replicas and sparse snapshots included, so "
                  "in-memory policies can write more than a full checkpoint). Right: how long "
                  "training waits for each checkpoint (median over the failure rates when they "
                  "are swept).")
