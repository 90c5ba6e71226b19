"""What `ckptlab advise` found (advice.json): its loading and the report's section, the ranked
table of the recommendations and a figure per policy (advice_plot.py; the panels' candidates come
from advice_panels.py) (docs/advise.md).
"""

import os
from dataclasses import dataclass

from . import units
from .advice_panels import INTERVAL, PARAMETERS
from .document import Heading, Image, Paragraph, Table

FILENAME = "advice.json"


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


# --- the report's section ----------------------------------------------------------------------

def _settings_text(policy):
    settings = policy.get("settings") or {}
    if not settings:
        return "as in the scenario"
    rec = policy.get("recommended") or {}
    parts = []
    for k, v in settings.items():
        if v is None:
            default = PARAMETERS.get(k, (False, None))[1]
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
