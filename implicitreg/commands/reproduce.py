"""``implicitreg reproduce NAME [--out DIR] [--quick] [--instance FILE]``: one of the papers' figures, with its data.

Writes ``NAME.png``, ``NAME.json`` and ``NAME.csv`` into ``--out`` (default: the current directory);
``implicitreg reproduce --list`` names the figures. A progress bar is drawn on stderr when it is a terminal.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from implicitreg.errors import InvalidParameterError


def output_directory(path: str) -> Path:
    """``path`` as a writable directory (created when missing); a file, or a place we cannot write, is an
    :class:`InvalidParameterError`."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InvalidParameterError(f"--out {path!r} exists and is not a directory")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidParameterError(f"cannot create the directory {path!r}: {exc.strerror or exc}") from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise InvalidParameterError(f"cannot write into {path!r}: permission denied")
    return p


def register(sub) -> None:
    from implicitreg.commands import add_command, add_flag, add_instance_option

    p = add_command(sub, "reproduce", _run, help="render one of the papers' figures (PNG) and save the data behind it",
                    description="Recompute one of the papers' experiments, render it (PNG) and save the data behind "
                                "it (JSON, CSV), with the bound checks it contains. Gallery: docs/gallery.md.")
    p.add_argument("name", nargs="?", metavar="NAME", help="figure name (see --list)")
    add_flag(p, "--list", "list the figures and exit")
    p.add_argument("--out", default=".", metavar="DIR", help="output directory (created if missing; default .)")
    add_flag(p, "--quick", "tiny grids: renders in seconds")
    add_instance_option(p, required=False, text="run the figure on your own data: a JSON file with A and y (wah-fig1, "
                        "ms-depth) or X and y (mc-small-init, mc-residual, mc-lr-depth, mc-sharpness-training); "
                        "numbers read exactly")


def _run(args) -> int:
    from implicitreg.experiments import figure as figures

    if args.list:
        if args.json:
            from implicitreg.schema import envelope

            figs = [{"name": n, "title": figures.FIGURES[n].title} for n in figures.figure_names()]
            sys.stdout.write(json.dumps(envelope("reproduce-list", {"figures": figs}), indent=2) + "\n")
            return 0
        width = max(len(n) for n in figures.figure_names())
        for name in figures.figure_names():
            sys.stdout.write(f"{name.ljust(width)}  {figures.FIGURES[name].title}\n")
        return 0
    if not args.name:
        raise InvalidParameterError("name a figure (see 'implicitreg reproduce --list')")
    figures.get_figure(args.name)  # unknown name -> one-line error before any work
    instance = figures.load_instance(args.name, args.instance) if args.instance else None
    output_directory(args.out)  # an unusable --out -> one-line error before any work
    result = figures.reproduce(args.name, args.out, quick=args.quick, progress=None, instance=instance)
    failed = [c for c in result.data.checks if not c.holds]
    if args.json:
        from implicitreg.schema import envelope

        obj = envelope("reproduce", {"name": args.name, "outputs": [str(result.png), str(result.json),
                                                                     str(result.csv)],
                                     "checks_total": len(result.data.checks), "checks_failed": len(failed)})
        sys.stdout.write(json.dumps(obj, indent=2) + "\n")
        return 0
    sys.stdout.write(f"wrote {result.png}\nwrote {result.json}\nwrote {result.csv}\n")
    sys.stdout.write(f"{len(result.data.checks) - len(failed)} of {len(result.data.checks)} bound checks hold\n")
    for c in failed:
        sys.stdout.write(f"  does not hold: {c.bound} ({c.side}, {c.provenance}) on {c.panel}/{c.series} at x = {c.x:.3g}:"
                         f" observed {c.observed:.6g}, bound {c.bound_value:.6g}{'; ' + c.note if c.note else ''}\n")
    return 0
