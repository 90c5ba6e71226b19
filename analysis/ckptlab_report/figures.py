"""The report's figures (matplotlib, Agg). Each maker returns a Figure, or None when the
results hold nothing for it to show (the curves over MTBF need a failure axis).
"""

from .bars import checkpoint_cost, time_breakdown
from .curves import ettr_vs_mtbf, ettr_vs_nodes, overhead_vs_mtbf
from . import advice_plot
from . import validation


def make_figures(results, out_dir):
    """Every applicable figure, written as PNG into out_dir, in reading order: (figures of the
    results, the predicted-vs-measured figure of the validation or None, the advice's figures:
    [(policy, Figure)], one per policy of an advice.json)."""
    makers = (ettr_vs_mtbf, overhead_vs_mtbf, ettr_vs_nodes, time_breakdown, checkpoint_cost)
    figures = [f for f in (m(results, out_dir) for m in makers) if f is not None] \
        if results.rows else []
    return figures, validation.figure(results, out_dir), advice_plot.figures(results, out_dir)
