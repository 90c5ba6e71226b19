// A scenario's `failures:` section from a trace fit, as YAML text a scenario takes unchanged.
//
// The model is the per-node fit with the lowest AIC among those a scenario can run (exponential
// and Weibull; the lognormal is reported in a comment only). Kinds get the trace's event counts as
// weights. The trace has no detection times, so every kind gets 1 minute, marked as an
// assumption to edit. Comments carry the provenance, every fit with its interval, the bursts and
// rack figures, and, when the trace has repair times, a `restart.repair` line to copy.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "failure/fit/lifetime_fit.hpp"
#include "failure/fit/trace_fit.hpp"

namespace ckptlab {

struct FitProvenance {
  std::string file;                // the trace as given on the command line
  std::vector<std::string> kinds;  // the kinds filter; empty: all
  std::string window;              // the window text; empty: the whole trace
  std::string command;             // the command line, for the record
};

// The chosen per-node model: exponential or weibull, whichever valid fit has the lower AIC.
// REQUIRES: at least the exponential per-node fit is valid (any trace with an event).
const LifetimeFit& chosen_node_model(const TraceFit& fit);

// The YAML document: comments, then `failures:` with model, its parameters and kinds.
// `repair` is a lognormal fit of the trace's repair times, when it has them.
std::string failures_yaml(const TraceFit& fit, const FitProvenance& provenance,
                          const std::optional<LifetimeFit>& repair);

// "3.07 y", "12.3 d", "4.56 h", "789 s" (a year is 365 d): a duration for tables and comments,
// three significant digits.
std::string readable_duration(double seconds);

// A fit's parameters with their intervals, e.g. "k 0.623 [0.581, 0.667], scale 9.12 h [7.9 h,
// 10.5 h]", or "no fit: <why>".
std::string fit_parameters_text(const LifetimeFit& fit);

}  // namespace ckptlab
