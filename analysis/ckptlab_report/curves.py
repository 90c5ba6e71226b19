"""Curves: ETTR (and the time lost, 1 - ETTR) against job MTBF, and ETTR against cluster size,
one line per policy, with 95% confidence intervals as error bars when replications were run.
"""

import matplotlib
from matplotlib.ticker import FixedLocator, NullLocator

from . import plot_common as pc
from . import units

OVERHEAD_FLOOR = 1e-4


def ettr_vs_mtbf(results, out_dir, overhead=False):
    """ETTR (or, with `overhead`, the lost share 1 - ETTR on a log axis, which separates the
    policies where ETTR crowds near 1) against job MTBF."""
    failure_axes = [a for a in results.varying_axes() if a.startswith("failures")]
    if not failure_axes:
        return None
    groups = pc.pick(pc.groups(results, failure_axes))
    styles = pc.styles(results.policies)
    fig, axes = pc.grid(len(groups))
    handles = {}
    lost = lambda r: max(OVERHEAD_FLOOR, 1.0 - r["ettr"])  # noqa: E731
    for ax, (key, rows) in zip(axes, groups):
        hours = lambda r: r["job_mtbf_s"] / 3600  # noqa: E731
        handles.update(pc.policy_lines(ax, rows, results.policies, styles, hours, results.has_ci(),
                                       lost if overhead else (lambda r: r["ettr"]),
                                       (OVERHEAD_FLOOR, 1.0) if overhead else (0.0, 1.0)))
        ax.set_xscale("log")
        ticks = sorted({hours(r) for r in rows})
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([units.short_duration(t * 3600) for t in ticks])
        ax.set_xlabel("job MTBF (time between failures of the whole job, log scale)")
        if overhead:
            ax.set_yscale("log")
            ax.set_ylabel("1 - ETTR: share of time lost (log)")
            ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
                lambda v, _: f"{100 * v:.3g}%"))
            ax.grid(True, which="major", alpha=0.3)
        else:
            pc.ettr_axes(ax, rows)
        ax.set_title(pc.title(key, results), fontsize=10)
    labels = [p for p in results.policies if p in handles]
    name = "overhead_vs_mtbf.png" if overhead else "ettr_vs_mtbf.png"
    if overhead:
        pc.finish(fig, out_dir, name, "Time lost vs job MTBF, per policy (1 - ETTR, log scale)",
                [handles[p] for p in labels], labels)
        return pc.Figure(name, "Time lost vs job MTBF",
                      "The same runs as the ETTR curves, as the share of wall time lost "
                      "(1 - ETTR) on a log scale, lower is better: where every ETTR is close to "
                      "1 this shows which policy loses 10x less. Values below "
                      f"{100 * OVERHEAD_FLOOR:g}% are drawn at {100 * OVERHEAD_FLOOR:g}%." +
                      pc.ci_note(results))
    pc.finish(fig, out_dir, name, "ETTR vs job MTBF, per policy", [handles[p] for p in labels],
            labels)
    return pc.Figure(name, "ETTR vs job MTBF",
                  "Effective training time ratio (the share of wall time spent on training that "
                  "is kept) against the mean time between failures of the whole job, one line "
                  "per policy; higher is better. Towards the left failures are frequent and the "
                  "cost of recovering from them dominates." + pc.ci_note(results))


def overhead_vs_mtbf(results, out_dir):
    return ettr_vs_mtbf(results, out_dir, overhead=True)


def ettr_vs_nodes(results, out_dir):
    if "cluster.nodes" not in results.varying_axes():
        return None
    groups = pc.groups(results, ["cluster.nodes"])
    # With a failure axis: the most, middle and least reliable values for each of up to two
    # combinations of the rest, so every row of panels compares like with like.
    failure = [a for a in results.label_axes() if a.startswith("failures")]
    shown = pc.pick(groups)
    if failure:
        rest = pc.pick(pc.groups(results, ["cluster.nodes"] + failure), 2)
        values = sorted({r[failure[0]] for r in results.rows},
                        key=lambda v: next(r["job_mtbf_s"] for r in results.rows
                                           if r[failure[0]] == v))
        picked = set(pc.pick(values, 3))
        shown = [(k, rows) for k, rows in groups
                 if dict(k).get(failure[0]) in picked and
                 any(all(dict(k).get(a) == v for a, v in rk) for rk, _ in rest)]
    styles = pc.styles(results.policies)
    fig, axes = pc.grid(len(shown))
    handles = {}
    for ax, (key, rows) in zip(axes, shown):
        handles.update(pc.policy_lines(ax, rows, results.policies, styles,
                                     lambda r: r["cluster_nodes"], results.has_ci()))
        ax.set_xscale("log", base=2)
        ticks = sorted({r["cluster_nodes"] for r in rows})
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([units.count(t) for t in ticks])
        ax.set_xlabel("nodes (log scale)")
        pc.ettr_axes(ax, rows)
        ax.set_title(pc.title(key, results), fontsize=10)
    labels = [p for p in results.policies if p in handles]
    pc.finish(fig, out_dir, "ettr_vs_nodes.png", "ETTR vs cluster size, per policy",
            [handles[p] for p in labels], labels)
    note = "" if len(shown) == len(groups) else (
        f" {len(shown)} of the {len(groups)} combinations of the other swept values are shown; "
        "sweep.csv has them all.")
    return pc.Figure("ettr_vs_nodes.png", "ETTR vs cluster size",
                  "ETTR against the number of nodes, one line per policy." + note +
                  pc.ci_note(results))
