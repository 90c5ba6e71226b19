"""What every figure shares: one colour and marker per policy, small-multiple panels over the
swept values a figure does not put on its x axis, and byte-reproducible PNG output.
"""

import math
import os
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display: reports are made on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

MAX_PANELS = 6
CATEGORY_LABELS = {"checkpoint_stall": "checkpoint stall", "slowdown": "background slowdown",
                   "lost_work": "lost work (recomputed)", "detection": "failure detection",
                   "restart": "restart", "state_load": "checkpoint load", "replay": "replay"}
CATEGORY_COLORS = {"checkpoint_stall": "#d62728", "slowdown": "#ff9896", "lost_work": "#9467bd",
                   "detection": "#8c564b", "restart": "#7f7f7f", "state_load": "#1f77b4",
                   "replay": "#17becf"}
MARKERS = "osD^v<>ph*"


@dataclass
class Figure:
    filename: str  # PNG in the output directory
    title: str
    caption: str   # what it shows and how to read it, for someone new to the tool


def styles(policies):
    colors = plt.get_cmap("tab10").colors
    return {p: (colors[i % len(colors)], MARKERS[i % len(MARKERS)])
            for i, p in enumerate(policies)}


def short(axis):
    """'failures.mtbf_job' -> 'mtbf_job': panel titles have little room."""
    return axis.rsplit(".", 1)[-1] if "[" not in axis else axis


def groups(results, exclude):
    """Rows grouped by the named axes (Results.label_axes) not in `exclude`, in sweep order:
    [(key, rows)]. An axis fixed by an excluded one (a batch size set with the cluster size)
    rides along with it on the x axis instead of splitting the groups."""
    keys = [a for a in results.label_axes() if a not in exclude]
    out = {}
    for r in results.rows:
        out.setdefault(tuple((a, r[a]) for a in keys), []).append(r)
    return list(out.items())


def pick(items, limit=MAX_PANELS):
    """At most `limit` items, evenly spread, first and last included."""
    if len(items) <= limit:
        return list(items)
    step = (len(items) - 1) / (limit - 1)
    return [items[round(i * step)] for i in range(limit)]


def title(key, results):
    named = set(results.label_axes())
    return ", ".join(f"{short(a)} = {v}" for a, v in key if a in named) or "all points"


def grid(n, width=5.2, height=3.7, cols=None):
    """n panels, `cols` to a row (default up to 3; 2 x 2 rather than 3 + 1)."""
    cols = cols or (2 if n == 4 else min(3, n))
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows + 0.9),
                             squeeze=False)
    flat = [a for row in axes for a in row]
    for a in flat[n:]:
        a.set_visible(False)
    return fig, flat[:n]


def finish(fig, out_dir, filename, title, handles=None, labels=None):
    fig.suptitle(title, fontsize=13, fontweight="bold")
    bottom = 0.0
    if handles:
        # As many legend columns as fit the figure's width (about 2.6 inches per entry).
        legend_cols = max(1, min(len(labels), int(fig.get_figwidth() / 2.6)))
        legend_rows = math.ceil(len(labels) / legend_cols)
        bottom = min(0.3, (0.35 + 0.3 * legend_rows) / fig.get_figheight())
        fig.legend(handles, labels, loc="lower center", ncol=legend_cols, frameon=False,
                   fontsize=10)
    fig.tight_layout(rect=(0, bottom, 1, 0.95))
    # No software version in the file: the same results give byte-identical PNGs. Written whole
    # (temporary file, then rename), as every file of the report.
    path = os.path.join(out_dir, filename)
    fig.savefig(f"{path}.tmp-{os.getpid()}", format="png", dpi=120, metadata={"Software": None})
    os.replace(f"{path}.tmp-{os.getpid()}", path)
    plt.close(fig)


def policy_lines(ax, rows, policies, styles, x_of, ci, y_of=lambda r: r["ettr"],
                 y_range=(0.0, 1.0)):
    """One line per policy; with `ci`, the 95% half-width of ETTR (`ettr_ci95`) as error bars,
    cut at `y_range` (ETTR cannot leave [0, 1]), and the policies nudged apart along the (log) x
    axis so that bars at the same x do not hide one another."""
    handles = {}
    xs_all = [x_of(r) for r in rows if x_of(r)]
    span = math.log10(max(xs_all) / min(xs_all)) if xs_all and min(xs_all) > 0 else 0.0
    step = 0.012 * (span or 1.0)  # decades between neighbouring policies' error bars
    drawn = [p for p in policies if any(r["policy"] == p for r in rows)]
    for i, p in enumerate(drawn):
        pts = sorted((x_of(r), y_of(r), r.get("ettr_ci95")) for r in rows if r["policy"] == p)
        xs, ys, err = zip(*pts)
        color, marker = styles[p]
        yerr = None
        if ci:
            xs = [x * 10 ** (step * (i - (len(drawn) - 1) / 2)) for x in xs]
            yerr = [[min(e or 0, y - y_range[0]) for y, e in zip(ys, err)],
                    [min(e or 0, y_range[1] - y) for y, e in zip(ys, err)]]
        h = ax.errorbar(xs, ys, yerr=yerr, color=color, marker=marker, markersize=5,
                        linewidth=1.6, capsize=3, elinewidth=1.1, label=p)
        handles[p] = h
    return handles


def ettr_axes(ax, rows):
    # The lower end makes room for the error bars; the upper end is ETTR's ceiling.
    low = max(0.0, min(r["ettr"] - (r.get("ettr_ci95") or 0) for r in rows))
    ax.set_ylim(max(0.0, low - 0.05 * (1.0 - low) - 0.02), 1.005)  # the caps at 1 stay visible
    ax.set_ylabel("ETTR (productive / wall time)")
    ax.grid(True, which="major", alpha=0.3)


# On a log axis a policy that lost nothing would sit at minus infinity: show it at this floor.

def ci_note(results):
    if not results.has_ci():
        return ""
    reps = sorted({int(r["replications"]) for r in results.rows if r.get("replications")})
    over = f" over {reps[0]} replications" if len(reps) == 1 else " over the replications"
    return (f" Error bars: 95% confidence intervals of ETTR{over} (Student t: with few "
            "replications they are wide), cut at the bounds ETTR cannot leave; policies are "
            "drawn slightly apart along the x axis so that their bars do not overlap.")
