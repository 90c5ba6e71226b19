"""Reading a results directory into one shape for the figures and documents.

A run's directory (ckptlab run) holds summary.json; a sweep's (ckptlab sweep) holds sweep.csv,
one row per point x policy, and points/<hash>/summary.json. Both become a Results whose rows have
sweep.csv's columns (a run is a sweep of one point with no axes), so every figure and table is
written once. A `ckptlab validate` file (validation.json: the host harness's measurements next to
the simulator's predictions) becomes a Validation, found in the directory, in its `validation/`
subdirectory, or named with --validation.
"""

import csv
import json
import os
from dataclasses import dataclass, field

from . import advice as advice_module

TIME_CATEGORIES = ("productive", "checkpoint_stall", "slowdown", "lost_work", "detection",
                   "restart", "state_load", "replay")
# sweep.csv's scenario-level columns; the swept key paths sit between `hash` and the first.
SCENARIO_COLUMNS = ("model_name", "cluster_nodes", "cluster_gpus", "hardware_name",
                    "backend_name", "horizon_s", "iteration_time_s", "scenario_seed")
TEXT_COLUMNS = {"hash", "policy", "kind", "model_name", "hardware_name", "backend_name"}


class InputProblem(Exception):
    """The directory is not a ckptlab results directory (report.py exits 2)."""


@dataclass
class Results:
    kind: str                 # "run" or "sweep"
    directory: str
    name: str                 # the scenario's name
    axes: list                # swept key paths, in sweep.csv order (empty for a run)
    rows: list                # one dict per point x policy (numbers float, missing None)
    policies: list            # policy labels in order of first appearance
    summaries: dict = field(default_factory=dict)        # hash -> summary.json, as found
    hardware_values: dict = field(default_factory=dict)  # hardware key -> value as written
    validation: object = None                            # Validation, when one was found
    advice: object = None                                # advice.Advice (advice.json), when there

    def points(self):
        """Distinct points in sweep order: list of (point index, hash, {axis: value})."""
        seen, out = set(), []
        for r in self.rows:
            if r["point"] not in seen:
                seen.add(r["point"])
                out.append((r["point"], r["hash"], {a: r[a] for a in self.axes}))
        return out

    def varying_axes(self):
        """Axes that take more than one value (an axis of one value is a constant)."""
        return [a for a in self.axes if len({r[a] for r in self.rows}) > 1]

    def label_axes(self):
        """Varying axes worth naming: those not fixed by an earlier one. When explicit points set
        a model together with its layout, naming the model says it all."""
        kept, varying = [], self.varying_axes()
        for j, b in enumerate(varying):
            determined = False
            for a in varying[:j]:
                mapping = {}
                if all(mapping.setdefault(r[a], r[b]) == r[b] for r in self.rows):
                    determined = True
                    break
            if not determined:
                kept.append(b)
        return kept

    def has_ci(self):
        return any(r.get("ettr_ci95") is not None for r in self.rows)

    def first_summary(self):
        for _, h, _ in self.points():
            if h in self.summaries:
                return self.summaries[h]
        return None


def _cell(column, text, axes):
    if text == "":
        return None
    if column in axes or column in TEXT_COLUMNS:
        return text
    try:
        return float(text)
    except ValueError:
        return text


def _flatten_policy(policy):
    """The C++ make_sweep_csv flattening of one policy entry (same column names)."""
    row = {}
    for key, value in policy.items():
        if key == "description":
            continue
        if key == "time_s" and isinstance(value, dict):
            row.update({f"{k}_s": v for k, v in value.items()})
        elif key == "ci95" and isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, dict):
                    row.update({f"{k}_{kk}_ci95": vv for kk, vv in v.items()})
                else:
                    row[f"{k}_ci95"] = v
        elif key == "vs_best" and isinstance(value, dict):
            # The paired difference to the best policy (a run's summary.json; not in sweep.csv).
            row["vs_best_policy"] = value.get("policy")
            row["vs_best_difference"] = value.get("ettr_difference")
            row["vs_best_ci95"] = value.get("half_width")
        elif not isinstance(value, (dict, list)):
            row[key] = value
    return row


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise InputProblem(f"{path}: cannot read it as JSON ({e})") from e


def _load_run(directory):
    summary = _read_json(os.path.join(directory, "summary.json"))
    if "policies" not in summary:
        raise InputProblem(f"{directory}/summary.json has no `policies`: not a ckptlab summary")
    base = {"point": 0.0, "hash": summary.get("scenario_hash", ""),
            "model_name": summary.get("model", {}).get("name"),
            "cluster_nodes": summary.get("cluster", {}).get("nodes"),
            "cluster_gpus": summary.get("cluster", {}).get("gpus"),
            "hardware_name": summary.get("hardware"), "backend_name": summary.get("backend"),
            "horizon_s": summary.get("horizon_s"),
            "iteration_time_s": summary.get("iteration_time_s"),
            "scenario_seed": summary.get("seed")}
    rows = [dict(base, **_flatten_policy(p)) for p in summary["policies"]]
    return Results("run", directory, summary.get("scenario", "run"), [], rows,
                   [p["policy"] for p in summary["policies"]], {base["hash"]: summary})


def _load_sweep(directory):
    path = os.path.join(directory, "sweep.csv")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header or header[:2] != ["point", "hash"] or "model_name" not in header:
            raise InputProblem(f"{path}: not a ckptlab sweep.csv (header {header[:3]}...)")
        axes = header[2:header.index("model_name")]
        rows = [{c: _cell(c, t, axes) for c, t in zip(header, line)} for line in reader]
    if not rows:
        raise InputProblem(f"{path} has no rows")
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    summaries = {}
    for r in rows:
        p = os.path.join(directory, "points", r["hash"], "summary.json")
        if r["hash"] not in summaries and os.path.exists(p):
            summaries[r["hash"]] = _read_json(p)
    name = next(iter(summaries.values()), {}).get("scenario", os.path.basename(directory))
    return Results("sweep", directory, name, axes, rows, policies, summaries)


def _hardware_values(results, data_dir):
    """The hardware profile's values (for the sources table), from the scenario as run."""
    try:
        import yaml  # python3-yaml; without it the table shows sources without values
    except ImportError:
        return {}
    first = next(iter(results.points()), None)
    if first is None:
        return {}
    where = results.directory if results.kind == "run" else os.path.join(
        results.directory, "points", first[1])
    try:
        with open(os.path.join(where, "scenario.yaml"), encoding="utf-8") as f:
            hardware = (yaml.safe_load(f) or {}).get("hardware")
        if isinstance(hardware, str) and data_dir and "/" not in hardware:
            with open(os.path.join(data_dir, "scenarios", "hardware", hardware + ".yaml"),
                      encoding="utf-8") as f:
                hardware = yaml.safe_load(f)
    except (OSError, yaml.YAMLError):
        return {}
    if not isinstance(hardware, dict):
        return {}
    return {k: str(v) for k, v in hardware.items() if k not in ("sources", "name")}


@dataclass
class Metric:
    metric: str               # "checkpoint_stall_s", ... (validation.json's names)
    what: str                 # what is compared, as validation.json says
    measured: float
    predicted: float
    error: object             # (predicted - measured) / measured, or None: nothing measured
    source: object = None     # a metric's own `source`, when validation.json states one


@dataclass
class PolicyCheck:
    policy: str
    kind: str
    skipped: object           # why the harness did not run it, or None
    metrics: list             # [Metric]
    recoveries: int = 0
    bit_exact_recoveries: int = 0
    final_bit_exact: object = None


@dataclass
class Validation:
    path: str
    scenario: str
    predicted_by: str         # "analytic executor with profile <name>"
    profile: str              # <name>
    setup: str
    notes: list
    bit_mismatches: object
    policies: list            # [PolicyCheck]


VALIDATION_FILE = "validation.json"


def find_validation(directory):
    """validation.json in the results directory or in its `validation/` subdirectory, or None."""
    for where in (directory, os.path.join(directory, "validation")):
        path = os.path.join(where, VALIDATION_FILE)
        if os.path.isfile(path):
            return path
    return None


def _number(value, path, what):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputProblem(f"{path}: {what} is {value!r}, not a number")
    return float(value)


def load_validation(path):
    """The Validation in `path` (what `ckptlab validate` writes); raises InputProblem when the file
    is not one."""
    j = _read_json(path)
    if not isinstance(j, dict) or not isinstance(j.get("policies"), list) or "scenario" not in j:
        raise InputProblem(f"{path}: no `scenario` and `policies`: not a ckptlab validation.json")
    predicted_by = str(j.get("predicted_by", ""))
    marker = "with profile "
    profile = predicted_by.split(marker, 1)[1] if marker in predicted_by else ""
    policies = []
    for i, p in enumerate(j["policies"]):
        if not isinstance(p, dict) or "policy" not in p:
            raise InputProblem(f"{path}: policies[{i}] has no `policy`")
        metrics = []
        for k, m in enumerate(p.get("metrics") or []):
            where = f"policies[{i}].metrics[{k}]"
            if not isinstance(m, dict) or "metric" not in m:
                raise InputProblem(f"{path}: {where} has no `metric`")
            metrics.append(Metric(str(m["metric"]), str(m.get("what", "")),
                                  _number(m.get("measured"), path, f"{where}.measured"),
                                  _number(m.get("predicted"), path, f"{where}.predicted"),
                                  _number(m.get("error"), path, f"{where}.error"),
                                  m.get("source")))
        # Each run's measurements (`runs`, one per repeat); a file of one run keeps them in
        # `measured`.
        runs = [r.get("measured") for r in p.get("runs") or [] if isinstance(r, dict)]
        if not runs and isinstance(p.get("measured"), dict):
            runs = [p["measured"]]
        runs = [r for r in runs if isinstance(r, dict)]
        recoveries = [rec for r in runs for rec in r.get("recoveries") or []]
        finals = [r.get("final_bit_exact") for r in runs]
        policies.append(PolicyCheck(
            str(p["policy"]), str(p.get("kind", "")), p.get("skipped"), metrics,
            len(recoveries), sum(1 for r in recoveries if r.get("bit_exact")),
            all(finals) if finals else None))
    return Validation(path, str(j["scenario"]), predicted_by, profile, str(j.get("setup", "")),
                      [str(n) for n in j.get("notes") or []], j.get("bit_mismatches"), policies)


def load_results(directory, data_dir=None, validation_path=None):
    """Results of the run or sweep in `directory`, with the validation found there (or in
    `validation_path`); raises InputProblem when it is neither. A directory that holds only a
    validation.json (what `ckptlab validate` writes) gives Results of kind "validation", with no
    rows; one with an advice.json (`ckptlab advise`) and neither summary.json nor sweep.csv gives
    kind "advice", with no rows. An advice.json beside a run's or a sweep's results is read too."""
    path = validation_path or find_validation(directory)
    if validation_path and not os.path.isfile(validation_path):
        raise InputProblem(f"{validation_path}: no such validation file")
    if os.path.exists(os.path.join(directory, "sweep.csv")):
        results = _load_sweep(directory)
    elif os.path.exists(os.path.join(directory, "summary.json")):
        results = _load_run(directory)
    elif advice_module.find(directory):
        results = Results("advice", directory, "", [], [], [])
    elif path:
        results = Results("validation", directory, "", [], [], [])
    else:
        raise InputProblem(f"{directory} holds neither summary.json nor sweep.csv (nor a "
                           f"{VALIDATION_FILE} or an {advice_module.FILENAME})")
    advice_path = advice_module.find(directory)
    if advice_path:
        results.advice = advice_module.load(advice_path, _read_json, InputProblem)
        results.name = results.name or str(results.advice.data["scenario"])
    if path:
        results.validation = load_validation(path)
        results.name = results.name or results.validation.scenario
    if results.rows:
        results.hardware_values = _hardware_values(results, data_dir)
    return results
