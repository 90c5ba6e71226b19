"""Predicted vs measured: what `ckptlab validate` measured on the host harness next to what the
simulator (the analytic executor with a profile) predicted for the same short runs, per metric and
policy, as a parity figure and a table.
"""

import math

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import plot_common as pc
from . import units
from .document import Heading, Image, Paragraph, Table

FILENAME = "validation.png"
BAND = 0.10  # the prediction-error goal: within ±10% of the measurement

# validation.json's metrics: panel title, unit (for axis labels and the table), how the prediction
# is made. Metrics it adds later are drawn with their own name.
_METRICS = {
    "checkpoint_stall_s": ("Training stall per checkpoint", "s"),
    "background_s": ("Background work per checkpoint", "s"),
    "recovery_load_s": ("State load per recovery", "s"),
    "background_slowdown": ("Iteration slow-down beside background work", "fraction"),
    "ettr": ("ETTR of the short run", "ratio"),
}
_CALIBRATED = "background_slowdown"  # the profile's figure, scaled by the plan's background share


def _unit(metric):
    return _METRICS.get(metric, (metric, "s" if metric.endswith("_s") else ""))[1]


def _title(metric):
    return _METRICS.get(metric, (metric.replace("_", " "), ""))[0]


def _profile_kind(v):
    """'calibration' for a profile `ckptlab calibrate` measured (named
    <backend>-<machine>-measured), else 'profile' (a hardware profile with cited figures)."""
    return "calibration" if v.profile.endswith("-measured") else "profile"


def source(v, m):
    """Where a predicted figure comes from, short (the table's column): validation.json's own
    `source` when it states one, else what `ckptlab validate` does for that metric
    (hw/validate/validation.cpp): a formula fed by the profile, or the profile's figure itself."""
    if m.source:
        return str(m.source)
    profile = f"`{v.profile}`" if v.profile else "the profile"
    if m.metric == _CALIBRATED:
        return f"{_profile_kind(v)}: {profile} x background share"
    if m.metric == "ettr":
        return "formula: job replay"
    return "formula: analytic executor"


def method(v, metric):
    """How `ckptlab validate` predicts a metric, in full (the definitions table)."""
    profile = f"`{v.profile}`" if v.profile else "the profile"
    if metric == _CALIBRATED:
        return (f"the {_profile_kind(v)}'s `background_slowdown` ({profile}) times the share of "
                "a node's copy and network resources the background ops take in the analytic "
                "executor's timing of the plan (core/exec/node_capacity.hpp), as the job applies "
                "it")
    if metric == "ettr":
        return ("the job state machine (`run_job`) replays the short run with the measured "
                "failure times, iteration time and teardown time, and the analytic executor's "
                f"timings from {profile}")
    if metric in _METRICS:
        return (f"the analytic executor times the same scaled plan: bytes / bandwidth of each "
                f"hop, shared storage split max-min fair, bandwidths from {profile}")
    return ""


def _measured_something(m):
    """validation.json writes error null when nothing was measured (no such event: a policy
    without background work has no background time), but also when the measurement is <= 0; a
    non-zero measurement is drawn and tabled, a 0 without an error is 'not measured'."""
    return m.error is not None or (m.measured is not None and m.measured != 0)


def _points(v):
    """{metric: [(policy, Metric)]} of what was measured, metrics in validation.json's order."""
    out = {}
    for p in v.policies:
        if p.skipped:
            continue
        for m in p.metrics:
            if _measured_something(m) and m.predicted is not None:
                out.setdefault(m.metric, []).append((p.policy, m))
    return out


def _error_text(m):
    return "" if m.error is None else f"{100 * m.error:+.0f}%"


def _panel(ax, metric, pairs, styles):
    values = [x for _, m in pairs for x in (m.measured, m.predicted)]
    positive = [x for x in values if x > 0]
    # Log axes when the values span a decade or more (zeros are drawn at the axis edge); a
    # negative measurement keeps the axes linear.
    log = bool(positive) and min(values) >= 0 and max(positive) / min(positive) >= 10
    if log:
        lo, hi = min(positive) / 2.5, max(positive) * 2.5
        ax.set_xscale("log")
        ax.set_yscale("log")
    else:
        lo = min(0.0, min(values) * 1.15)
        hi = max(values) * 1.15 if max(values) > 0 else 1.0
    line = [lo, hi] if not log else [lo * 10 ** (k / 20) for k in
                                     range(int(20 * math.log10(hi / lo)) + 2)]
    ax.fill_between(line, [x * (1 - BAND) for x in line], [x * (1 + BAND) for x in line],
                    color="#2ca02c", alpha=0.18, linewidth=0)
    ax.plot(line, line, color="#555555", linestyle="--", linewidth=1)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    to_axes = lambda x, y: ax.transAxes.inverted().transform(  # noqa: E731
        ax.transData.transform((x, y)))
    labels = []
    for policy, m in pairs:
        color, marker = styles[policy]
        x, y = m.measured, m.predicted
        clipped = log and (x <= 0 or y <= 0)  # a 0 has no place on a log axis: draw it at the edge
        x, y = (max(x, lo) if log else x), (max(y, lo) if log else y)
        ax.plot([x], [y], marker=marker, markersize=8, linestyle="none", clip_on=False,
                markerfacecolor="white" if clipped else color, markeredgecolor=color,
                markeredgewidth=1.6)
        labels.append((*to_axes(x, y), _error_text(m) or "n/a", color))
    # Each marker's error beside it: the first place, right, left, below or above, where the
    # label covers no other marker and no other label (in axes fractions; 8-point text is about
    # 0.018 of a panel's width per character and 0.05 of its height).
    markers = [(fx, fy) for fx, fy, _, _ in labels]
    boxes = []

    def free(box):
        x0, y0, x1, y1 = box
        if x0 < -0.02 or x1 > 1.02 or y0 < 0 or y1 > 1:
            return False
        near = any(x0 - 0.03 < mx < x1 + 0.03 and y0 - 0.03 < my < y1 + 0.03
                   for mx, my in markers if (mx, my) != here)
        return not near and not any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1
                                    for b in boxes)

    for fx, fy, text, color in sorted(labels, key=lambda t: -t[1]):
        here = (fx, fy)
        w, h = 0.018 * len(text) + 0.01, 0.05
        candidates = [(fx + 0.04, fy, "left"), (fx - 0.04, fy, "right"),
                      (fx + 0.02, fy - 0.07, "left"), (fx + 0.02, fy + 0.07, "left"),
                      (fx - 0.02, fy - 0.07, "right"), (fx - 0.02, fy + 0.07, "right")]
        chosen = candidates[0]
        for tx, ty, ha in candidates:
            x0 = tx if ha == "left" else tx - w
            box = (x0, ty - h / 2, x0 + w, ty + h / 2)
            if free(box):
                chosen = (tx, ty, ha)
                break
        tx, ty, ha = chosen
        x0 = tx if ha == "left" else tx - w
        boxes.append((x0, ty - h / 2, x0 + w, ty + h / 2))
        ax.annotate(text, (fx, fy), xycoords="axes fraction", xytext=(tx, max(ty, 0.03)),
                    textcoords="axes fraction", ha=ha, va="center", fontsize=8, color=color,
                    annotation_clip=False)
    unit = _unit(metric)
    parts = ([unit] if unit in ("s", "fraction") else []) + (["log scale"] if log else [])
    suffix = f" ({', '.join(parts)})" if parts else ""
    ax.set_xlabel(f"measured on the host harness{suffix}", fontsize=9)
    ax.set_ylabel(f"predicted by the simulator{suffix}", fontsize=9)
    ax.set_title(_title(metric), fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    for axis in (ax.xaxis, ax.yaxis):  # 0.001, not 10^-3: plain numbers in the axis's unit
        axis.set_major_formatter(plt.FuncFormatter(lambda t, _: f"{t:g}"))
    return log


def figure(results, out_dir):
    """The parity figure, or None without a validation (or with nothing measured)."""
    v = results.validation
    if v is None:
        return None
    points = _points(v)
    if not points:
        return None
    policies = [p.policy for p in v.policies if not p.skipped]
    styles = pc.styles(policies)
    fig, axes = pc.grid(len(points), width=4.4, height=4.2)
    any_clipped = False
    for ax, (metric, pairs) in zip(axes, points.items()):
        log = _panel(ax, metric, pairs, styles)
        any_clipped |= log and any(m.measured <= 0 or m.predicted <= 0 for _, m in pairs)
    shown = [p for p in policies if any(p == q for pairs in points.values() for q, _ in pairs)]
    handles = [Line2D([], [], marker=styles[p][1], color=styles[p][0], linestyle="none",
                      markersize=8) for p in shown]
    handles += [Line2D([], [], color="#555555", linestyle="--"),
                Patch(color="#2ca02c", alpha=0.3)]
    labels = shown + ["predicted = measured", f"within ±{100 * BAND:.0f}%"]
    pc.finish(fig, out_dir, FILENAME, "Predicted vs measured, per metric and policy",
              handles, labels)
    caption = (
        f"`ckptlab validate` ran each policy of scenario `{v.scenario}` on the host harness "
        "(real copies, sockets and files, injected failures) and the simulator predicted the "
        "same short runs. One panel per metric: each marker is a policy, at (measured, "
        "predicted), labelled with the prediction error (predicted - measured) / measured. "
        "On the dashed line the prediction is exact; in the green band it is within "
        f"±{100 * BAND:.0f}%. Above the line the simulator over-estimates. Panels whose "
        "values span a decade or more have log axes. n/a: the measurement is 0 or negative, "
        "so it has no relative error; metrics a policy has nothing of (a blocking checkpoint "
        "has no background work) are left out.")
    if any_clipped:
        caption += " Open markers: a value of 0, drawn at the axis edge."
    return pc.Figure(FILENAME, "Predicted vs measured", caption)


def _value(metric, x):
    if x is None:
        return ""
    unit = _unit(metric)
    if unit == "s":
        return units.duration(x) if x > 0 else f"{x:g} s"
    return f"{x:.4f}"


def blocks(results, fig):
    """The report's validation section: what was validated, the figure, the table."""
    v = results.validation
    if v is None:
        return []
    out = [Heading(2, "Predicted vs measured (validation)")]
    predicted_by = v.predicted_by.replace(f"profile {v.profile}", f"{_profile_kind(v)} "
                                          f"`{v.profile}`") if v.profile else v.predicted_by
    intro = (f"From `{v.path}` (`ckptlab validate`): scenario `{v.scenario}` on the host "
             f"backend, predicted by the {predicted_by or 'simulator'}. Setup: {v.setup}.")
    if results.kind != "validation" and results.name and v.scenario != results.name:
        intro += (f" The validation is of scenario `{v.scenario}`, the results above of "
                  f"`{results.name}`.")
    out.append(Paragraph(intro))
    for n in v.notes:
        out.append(Paragraph(f"Note: {n}."))
    if fig is not None:
        out += [Image(fig.filename, fig.title, fig.caption)]
    rows, within, compared = [], 0, 0
    for p in v.policies:
        if p.skipped:
            continue
        for m in p.metrics:
            if m.error is not None:
                compared += 1
                within += abs(m.error) <= BAND
            measured = _value(m.metric, m.measured) if _measured_something(m) else "not measured"
            error = f"{100 * m.error:+.1f}%" if m.error is not None else "n/a"
            rows.append([p.policy, f"`{m.metric}`", measured, _value(m.metric, m.predicted),
                         error, source(v, m)])
    out.append(Paragraph(
        f"{within} of {compared} predictions are within ±{100 * BAND:.0f}% of the measurement. "
        "Error = (predicted - measured) / measured; n/a where the measurement is 0 or "
        "negative."))
    out.append(Table(["policy", "metric", "measured", "predicted", "error", "source of the "
                      "prediction"], rows, numeric=(2, 3, 4)))
    definitions = {}
    for p in v.policies:
        for m in p.metrics:
            definitions.setdefault(m.metric, m.what)
    if definitions:
        out.append(Table(["metric", "what is compared", "how it is predicted"],
                         [[f"`{k}`", w, method(v, k)] for k, w in definitions.items()]))
    skipped = [p for p in v.policies if p.skipped]
    if skipped:
        out.append(Paragraph("Not validated (the harness cannot run them): " + "; ".join(
            f"**{p.policy}**: {p.skipped}" for p in skipped) + "."))
    recov = [p for p in v.policies if not p.skipped]
    if recov:
        exact = sum(p.bit_exact_recoveries for p in recov)
        total = sum(p.recoveries for p in recov)
        out.append(Paragraph(
            f"Recoveries on the harness: {exact} of {total} restored the reference state bit "
            f"for bit; rank states differing from the reference: {v.bit_mismatches}."))
    return out
