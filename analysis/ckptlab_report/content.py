"""What the report says: an overview, the figures, the result tables and, for every number, its
source (a formula, a cited default from the hardware profile or a calibration, or the executor's
method), as summary.json records them.
"""

from statistics import median

from . import advice
from . import units
from . import validation
from .document import Heading, Image, Paragraph, Table

_ETTR = ("ETTR (effective training time ratio) is the share of wall time spent on training that "
         "is kept: productive time / wall time, after checkpoint stalls, slow-down from "
         "background checkpoint traffic, work lost to rollbacks, failure detection, restart and "
         "checkpoint loading. Every policy of a point sees the same failures, so differences "
         "between policies are theirs, not the random draw's.")


def _ettr(r):
    text = units.ratio(r["ettr"])
    if r.get("ettr_ci95") is not None:
        text += f" ± {r['ettr_ci95']:.4f}"
    return text


def _overview(results):
    s = results.first_summary() or {}
    cluster = s.get("cluster", {})
    where = (f"model `{s.get('model', {}).get('name', '?')}` on {units.count(cluster.get('nodes'))}"
             f" nodes ({units.count(cluster.get('gpus'))} GPUs; TP {cluster.get('tp')}, "
             f"PP {cluster.get('pp')}, DP {cluster.get('dp')}, EP {cluster.get('ep')}), hardware "
             f"`{s.get('hardware', '?')}`, {units.duration(s.get('horizon_s'))} simulated, "
             f"failures: {s.get('failure_model', 'none')}, iteration time "
             f"{units.duration(s.get('iteration_time_s'))}, backend {s.get('backend', '?')}, "
             f"seed {s.get('seed', '?')}, ckptlab {s.get('ckptlab_version', '?')}")
    if results.kind == "run":
        return [Paragraph(f"Scenario `{results.name}`: {where}."), Paragraph(_ETTR)]
    points = results.points()
    swept = "; ".join(
        f"`{a}`: " + ", ".join(dict.fromkeys(str(v) for _, _, settings in points
                                             for k, v in settings.items() if k == a))
        for a in results.axes)
    return [Paragraph(f"Sweep `{results.name}`: {len(points)} points x {len(results.policies)} "
                      f"policies. Swept: {swept}."),
            Paragraph(f"The first point: {where}. Every point's numbers are in `sweep.csv` and "
                      "in `points/<hash>/summary.json`."),
            Paragraph(_ETTR)]


def _best_by_point(results):
    best = {}
    for r in results.rows:
        if r["point"] not in best or r["ettr"] > best[r["point"]]["ettr"]:
            best[r["point"]] = r
    return best


def _findings(results):
    best = _best_by_point(results)
    if results.kind == "run":
        rows = sorted(results.rows, key=lambda r: -r["ettr"])
        return [Paragraph(f"Highest ETTR: **{rows[0]['policy']}** ({_ettr(rows[0])}); lowest: "
                          f"{rows[-1]['policy']} ({_ettr(rows[-1])}).")]
    wins = {}
    for r in best.values():
        wins[r["policy"]] = wins.get(r["policy"], 0) + 1
    text = "; ".join(f"**{p}** at {n} of {len(best)} points"
                     for p, n in sorted(wins.items(), key=lambda kv: -kv[1]))
    return [Paragraph(f"Highest ETTR: {text}.")]


def _vs_best(r):
    """The paired ETTR difference to the run's best policy, with its 95% half-width."""
    if r.get("vs_best_difference") is None:
        return ""
    if r.get("vs_best_policy") == r["policy"]:
        return "best"
    text = f"{r['vs_best_difference']:+.4f}"
    if r.get("vs_best_ci95") is not None:
        text += f" ± {r['vs_best_ci95']:.4f}"
    return text


def _hours(r, category):
    """Hours of a ledger category, ± the 95% half-width of its share of wall time (times are
    totals over the replications, so the half-width in hours is the share's times the wall)."""
    text = units.hours(r.get(f"{category}_s"))
    ci = r.get(f"share_of_wall_{category}_ci95")
    if text and ci and r.get("wall_s"):
        text = f"{text[:-2]} ± {ci * r['wall_s'] / 3600:.2f} h"
    return text


def _run_table(results):
    paired = any(r.get("vs_best_difference") is not None for r in results.rows)
    headers = ["policy", "ETTR"] + (["vs best"] if paired else []) + [
        "ckpt stall", "slowdown", "lost work", "recovery", "replay", "failures", "checkpoints",
        "ckpt size", "stall / ckpt", "interval", "lost tokens"]
    rows = []
    for r in results.rows:
        recovery = sum(r.get(f"{c}_s") or 0 for c in ("detection", "restart", "state_load"))
        rows.append([r["policy"], _ettr(r)] + ([_vs_best(r)] if paired else []) + [
            _hours(r, "checkpoint_stall"), _hours(r, "slowdown"), _hours(r, "lost_work"),
            units.hours(recovery), _hours(r, "replay"),
            units.count(r.get("failures")), units.count(r.get("checkpoints")),
            units.size(r.get("checkpoint_bytes")),
            units.duration(r.get("mean_checkpoint_stall_s")),
            units.duration(r.get("checkpoint_interval_s")),
            units.ratio(r.get("lost_tokens_fraction"), 6)])
    return Table(headers, rows, numeric=tuple(range(1, len(headers))))


def _run_table_note(results):
    text = ("Recovery = failure detection + restart + checkpoint load. Stall / ckpt: training "
            "time lost per checkpoint started.")
    reps = {int(r["replications"]) for r in results.rows if r.get("replications")}
    if results.has_ci():
        n = f"{reps.pop()} replications" if len(reps) == 1 else "the replications"
        text += (f" Times are totals over {n}. ± : 95% confidence half-widths over {n} (of ETTR; "
                 "of a category's share of wall time, in hours). Vs best: the paired ETTR "
                 "difference to the best policy (every policy sees the same failures, so it is "
                 "tighter than either ETTR's interval).")
    return text


def _sweep_tables(results):
    best = _best_by_point(results)
    axes = results.label_axes()
    headers = ["point"] + axes + results.policies + ["best"]
    by_point = {}
    for r in results.rows:
        by_point.setdefault(r["point"], {})[r["policy"]] = r
    rows = []
    for point, _, settings in results.points():
        cells = [str(int(point))] + [str(settings[a]) for a in axes]
        for p in results.policies:
            r = by_point[point].get(p)
            text = _ettr(r) if r else ""
            cells.append(f"**{text}**" if r is best[point] else text)
        cells.append(best[point]["policy"])
        rows.append(cells)
    first = 1 + len(axes)
    pivot = Table(headers, rows, numeric=tuple(range(first, first + len(results.policies))))
    spread = []
    for p in results.policies:
        values = [r["ettr"] for r in results.rows if r["policy"] == p]
        wins = sum(1 for r in best.values() if r["policy"] == p)
        spread.append([p, units.ratio(min(values)), units.ratio(median(values)),
                       units.ratio(max(values)), str(wins)])
    summary = Table(["policy", "lowest ETTR", "median", "highest", "best at (points)"], spread,
                    numeric=(1, 2, 3, 4))
    return [Heading(2, "ETTR at every point"),
            Paragraph("Bold: the best policy at that point." + _hidden_axes_note(results, axes)),
            pivot,
            Heading(2, "ETTR over the sweep, per policy"), summary]


def _hidden_axes_note(results, shown):
    hidden = [a for a in results.varying_axes() if a not in shown]
    if not hidden:
        return ""
    return (" Not shown, as they follow from the columns shown: " +
            ", ".join(f"`{a}`" for a in hidden) + " (all in `sweep.csv`).")


_SCENARIO_VALUES = {
    "iteration_time": lambda s: units.duration(s.get("iteration_time_s")),
    "job_mtbf": lambda s: units.duration(s.get("job_mtbf_s")),
    "restart": lambda s: units.duration(s.get("expected_restart_s")) + " per failure (mean)",
    "ettr": lambda s: "per policy (tables above)",
}
_POLICY_VALUES = {
    "checkpoint_bytes": lambda p: units.size(p.get("checkpoint_bytes")),
    "checkpoint_interval": lambda p: units.duration(p.get("checkpoint_interval_s")),
    "checkpoint_time": lambda p: units.duration(p.get("mean_checkpoint_stall_s")) +
    " stall per checkpoint",
}


def _policy_value(policy, key):
    if key in _POLICY_VALUES:
        return _POLICY_VALUES[key](policy)
    for k in (key, key + "_s"):
        if k in policy and not isinstance(policy[k], (dict, list)):
            return str(policy[k])
    return ""


def _sources(results):
    s = results.first_summary()
    if s is None:
        return [Heading(2, "Sources"), Paragraph("No summary.json was found, so no sources.")]
    blocks = [Heading(2, "Sources of every number")]
    if results.kind == "sweep":
        blocks.append(Paragraph(
            "For the first point; figures that depend on the swept values (intervals derived "
            "from the MTBF, iteration times from the cluster size) are stated per point in "
            "`points/<hash>/summary.json`."))
    rows = [[k, _SCENARIO_VALUES.get(k, lambda _: "")(s), v]
            for k, v in s.get("sources", {}).items()]
    blocks += [Heading(3, "Scenario"), Table(["quantity", "value", "source"], rows)]
    hw = s.get("hardware_sources", {})
    if hw:
        rows = [[k, results.hardware_values.get(k, ""), v] for k, v in hw.items()]
        blocks += [Heading(3, f"Hardware profile `{s.get('hardware', '')}`"),
                   Table(["parameter", "value", "source"], rows)]
    rows = []
    for p in s.get("policies", []):
        rows += [[p["policy"], k, _policy_value(p, k), v] for k, v in p.get("sources", {}).items()]
        if p.get("description"):
            rows.append([p["policy"], "description", "", p["description"]])
    blocks += [Heading(3, "Policies"), Table(["policy", "quantity", "value", "source"], rows)]
    return blocks


def build_report(results, figures, validation_figure=None, advice_figures=()):
    """(title, blocks) of the report."""
    if results.kind == "validation":  # a directory of `ckptlab validate`: nothing else to say
        return (f"ckptlab validation report: {results.name}",
                validation.blocks(results, validation_figure))
    if results.kind == "advice":  # a directory of `ckptlab advise` (and perhaps a validation)
        return (f"ckptlab advice report: {results.name}",
                [Paragraph(_ETTR)] + advice.blocks(results, advice_figures) +
                validation.blocks(results, validation_figure))
    kind = "sweep" if results.kind == "sweep" else "run"
    title = f"ckptlab {kind} report: {results.name}"
    blocks = _overview(results) + _findings(results)
    blocks.append(Heading(2, "Figures"))
    for f in figures:
        blocks += [Heading(3, f.title), Image(f.filename, f.title, f.caption)]
    if results.kind == "run":
        blocks += [Heading(2, "Results per policy"), _run_table(results),
                   Paragraph(_run_table_note(results))]
    else:
        blocks += _sweep_tables(results)
    blocks += advice.blocks(results, advice_figures)
    blocks += validation.blocks(results, validation_figure)
    return title, blocks + _sources(results)
