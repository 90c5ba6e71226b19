"""ckptlab's report: figures and documents from a results directory (docs/sweeps.md).

Modules: load (results directory -> Results, validation.json -> Validation), units
(human-readable numbers), figures (matplotlib PNGs: curves, bars, validation), document (blocks
rendered as Markdown and self-contained HTML), content (what the report says; validation adds the
predicted-vs-measured section; advice adds the ranked recommendations of `ckptlab advise`,
advice_plot its ETTR against each tuned parameter, from the candidates advice_panels picks). analysis/report.py is the entry point that `ckptlab report`
runs.
"""
