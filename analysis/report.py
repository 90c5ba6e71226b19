#!/usr/bin/python3
"""ckptlab report: report.md, report.html and the figures (PNG) of a run, sweep or advice directory.

Run by `ckptlab report <results dir> [--out DIR]` with Debian's /usr/bin/python3 (the interpreter
python3-matplotlib is installed for). Exit status: 0 ok, 2 the directory is not a ckptlab
results directory, 1 anything else. Output files are written whole (temporary file, then
rename), so a reader never sees half a report.
"""

import argparse
import os
import sys

# Run with -I (isolated mode), the script's directory is not on sys.path: put it there so the
# package next to this file is the one imported.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # leave the source tree as it was (it may be read-only)

from ckptlab_report.content import build_report  # noqa: E402
from ckptlab_report.document import render_html, render_markdown  # noqa: E402
from ckptlab_report.figures import make_figures  # noqa: E402
from ckptlab_report.load import InputProblem, load_results  # noqa: E402


def _write(path, text):
    temp = f"{path}.tmp-{os.getpid()}"
    with open(temp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temp, path)


def main(argv):
    parser = argparse.ArgumentParser(prog="ckptlab report", description=__doc__.split("\n")[0])
    parser.add_argument("results",
                        help="results directory of ckptlab run, sweep, validate or advise")
    parser.add_argument("--out", help="output directory (default: the results directory)")
    parser.add_argument("--data-dir", help="ckptlab's data root (hardware profiles)")
    parser.add_argument("--validation", help="validation.json of `ckptlab validate` to add "
                        "(default: validation.json or validation/validation.json in the results "
                        "directory, when there)")
    args = parser.parse_args(argv)
    out = args.out or args.results
    data_dir = args.data_dir or os.environ.get("CKPTLAB_DATA_DIR") or os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    try:
        results = load_results(args.results, data_dir, args.validation)
    except InputProblem as e:
        print(f"ckptlab: error: {e}", file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    figures, validation_figure, advice_figures = make_figures(results, out)
    title, blocks = build_report(results, figures, validation_figure, advice_figures)
    _write(os.path.join(out, "report.md"), render_markdown(title, blocks))
    _write(os.path.join(out, "report.html"), render_html(title, blocks, out))
    print(f"report: {os.path.join(out, 'report.html')} (self-contained), "
          f"{os.path.join(out, 'report.md')}, "
          f"{len(figures) + (validation_figure is not None) + len(advice_figures)} figures"
          + (f", predicted vs measured from {results.validation.path}"
             if results.validation else "")
          + (f", advice from {results.advice.path}" if results.advice else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
