"""The figure model shared by the papers' experiments: data types, registry, JSON/CSV I/O and plotting.

Each named figure is a function ``quick -> FigureData`` registered in :data:`FIGURES`. A
:class:`FigureData` holds every curve drawn (observed values, the theorems' upper/lower/limit
curves, fitted slopes, reference curves), each with the *provenance* of what it shows:

* observed values say which computation produced them (module and precision);
* bound curves are evaluated from the :class:`~implicitreg.theory.statement.Bound` objects in
  ``theory/`` (never re-typed here) and carry that bound's provenance label (paper / derived /
  standard / reconstructed / conjecture);
* fitted slopes are least-squares log-log fits (:func:`implicitreg.proofs.checks.loglog_slope`);
* markers flag where float64 arithmetic would have failed.

:func:`reproduce` computes a figure, writes ``NAME.json`` (everything, with metadata),
``NAME.csv`` (one row per plotted point) and ``NAME.png`` (:mod:`.plotting`: matplotlib with the Agg
canvas created explicitly; pyplot and its global backend are never used). ``quick=True`` uses tiny grids so that
each figure renders in seconds; the default grids take minutes. :func:`load_data` reads a saved
``NAME.json`` back for re-plotting.

The figures live one module per paper (``docs/gallery.md`` shows them); they register themselves
with :func:`figure` when their module is imported, which :func:`figure_names` and :func:`get_figure` do:

* :mod:`implicitreg.experiments.wah`: Wind, Antun & Hansen's three figures, statements from
  :mod:`implicitreg.theory.selection`;
* :mod:`implicitreg.experiments.ms`: Matt & Stoeger's experiments, statements from
  :mod:`implicitreg.theory.diagonal`, constants from :mod:`implicitreg.numerics.error_constants`;
* :mod:`implicitreg.experiments.mc`: Marion & Chizat's experiments, statements from
  :mod:`implicitreg.theory.sharpness`.
"""
from __future__ import annotations

import csv
import importlib
import json
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import mpmath

from implicitreg.errors import InvalidParameterError

CURVE_ROLES = ("observed", "upper", "lower", "limit", "rate", "fit", "reference")
CURVE_STYLES = ("", "scatter", "scatter-open")


# --------------------------------------------------------------------------------------------
# Data types
# --------------------------------------------------------------------------------------------

@dataclass
class Panel:
    """One axes of a figure."""

    key: str
    title: str
    xlabel: str
    ylabel: str
    xscale: str = "log"
    yscale: str = "log"
    xlim: tuple[float, float] | None = None
    ylim: tuple[float, float] | None = None
    integer_x: bool = False  # integer ticks (depths)


@dataclass
class Curve:
    """A drawn curve. ``role`` is one of :data:`CURVE_ROLES`; ``provenance`` says where it comes from."""

    panel: str
    series: str
    role: str
    label: str
    provenance: str
    x: list[float]
    y: list[float]
    source: str = ""
    style: str = ""  # "" (line), "scatter" (markers only) or "scatter-open" (hollow markers)
    y_low: list[float] | None = None  # a confidence band [y_low, y_high] around y (``band`` says which)
    y_high: list[float] | None = None
    band: str = ""

    def __post_init__(self):
        if self.role not in CURVE_ROLES:
            raise ValueError(f"curve role must be one of {CURVE_ROLES}, got {self.role!r}")
        if self.style not in CURVE_STYLES:
            raise ValueError(f"curve style must be one of {CURVE_STYLES}, got {self.style!r}")
        if len(self.x) != len(self.y):
            raise ValueError(f"curve {self.label!r}: {len(self.x)} x values but {len(self.y)} y values")
        if (self.y_low is None) != (self.y_high is None) or (
                self.y_low is not None and not len(self.y_low) == len(self.y_high) == len(self.y)):
            raise ValueError(f"curve {self.label!r}: a band needs y_low and y_high, one per y value")


@dataclass
class SlopeFit:
    """A least-squares log-log slope of an observed series over ``x_range``, with the predicted exponent."""

    panel: str
    series: str
    slope: float
    predicted: float | None
    predicted_provenance: str
    x_range: tuple[float, float]
    source: str = ""
    asymptotic: bool | None = None  # False: fitted and predicted slopes disagree (pre-asymptotic window)


#: marker kinds and how they are drawn
MARKER_KINDS = ("float64", "violation", "diverged", "pre-asymptotic")


@dataclass
class Marker:
    """A point to flag: where the papers' float64 set-up fails (``method`` names it), a bound violation, a
    diverged run. ``provenance`` says how the point was obtained (measured, computed, stored where)."""

    panel: str
    series: str
    x: float
    y: float
    label: str
    note: str = ""
    kind: str = "float64"
    method: str = ""
    provenance: str = ""

    def __post_init__(self):
        if self.kind not in MARKER_KINDS:
            raise ValueError(f"marker kind must be one of {MARKER_KINDS}, got {self.kind!r}")


@dataclass
class BoundCheck:
    """One observed value against one bound: ``holds`` is the comparison, done at full precision."""

    panel: str
    series: str
    bound: str
    side: str
    provenance: str
    x: float
    observed: float
    bound_value: float
    holds: bool
    note: str = ""


@dataclass
class FigureData:
    """Everything behind one figure; :meth:`to_json` is what ``NAME.json`` contains."""

    name: str
    title: str
    description: str
    panels: list[Panel]
    curves: list[Curve] = field(default_factory=list)
    slopes: list[SlopeFit] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    checks: list[BoundCheck] = field(default_factory=list)
    quick: bool = False
    alpha_convention: str | None = None
    meta: dict = field(default_factory=dict)

    def curves_where(self, **attrs) -> list[Curve]:
        return [c for c in self.curves if all(getattr(c, k) == v for k, v in attrs.items())]

    def to_json(self) -> dict:
        return _jsonable(asdict(self))

    def csv_rows(self) -> Iterable[list]:
        """One row per plotted point; each column has one meaning: ``x_quantity``/``y_quantity`` name what ``x``
        and ``y`` hold (the panel's axes), ``role`` what the curve is, ``provenance`` where it comes from."""
        yield CSV_HEADER
        panels = {p.key: p for p in self.panels}
        for c in self.curves:
            p = panels.get(c.panel)
            xq, yq = (p.xlabel, p.ylabel) if p else ("", "")
            lows = c.y_low if c.y_low is not None else [None] * len(c.y)
            highs = c.y_high if c.y_high is not None else [None] * len(c.y)
            for xv, yv, lo, hi in zip(c.x, c.y, lows, highs):
                yield [c.panel, c.series, c.role, xq, _num(xv), yq, _num(yv), _num(lo), _num(hi), c.band, c.label,
                       c.provenance, c.source]


CSV_HEADER = ["panel", "series", "role", "x_quantity", "x", "y_quantity", "y", "y_low", "y_high", "band", "label",
              "provenance", "source"]


#: what ``--instance FILE`` holds for a figure that accepts one
INSTANCE_KINDS = {"l1": "an l1 instance {A, y} (implicitreg.numerics.instance.Instance)",
                  "regression": "regression data {X, y} (implicitreg.numerics.deep_linear.RegressionData)"}


@dataclass(frozen=True)
class FigureSpec:
    """A registered reproduction: ``compute(quick, progress) -> FigureData``; a figure with an ``instance`` kind
    also runs on the user's data: ``compute(quick, progress, instance)``."""

    name: str
    title: str
    description: str
    compute: Callable[..., FigureData]
    instance: str | None = None


@dataclass
class Reproduction:
    """What :func:`reproduce` wrote."""

    name: str
    png: Path
    json: Path
    csv: Path
    data: FigureData


FIGURES: dict[str, FigureSpec] = {}

#: the modules whose import registers the figures, one per paper
PAPER_MODULES = ("implicitreg.experiments.wah", "implicitreg.experiments.ms", "implicitreg.experiments.mc",
                 "implicitreg.experiments.mc_gelu")


def _register_all() -> None:
    for module in PAPER_MODULES:
        importlib.import_module(module)


def figure(name: str, title: str, description: str, instance: str | None = None):
    """Decorator registering ``compute(quick, progress[, instance]) -> FigureData`` under ``name``;
    ``instance`` (a key of :data:`INSTANCE_KINDS`) says which user data the figure can run on."""

    def wrap(fn):
        if name in FIGURES:
            raise ValueError(f"figure {name!r} registered twice")
        if instance is not None and instance not in INSTANCE_KINDS:
            raise ValueError(f"instance kind must be one of {sorted(INSTANCE_KINDS)}, got {instance!r}")
        FIGURES[name] = FigureSpec(name, title, description, fn, instance)
        return fn

    return wrap


# --------------------------------------------------------------------------------------------
# Progress display
# --------------------------------------------------------------------------------------------

class Progress:
    """A tqdm bar over the units of work of one figure; silent unless enabled (and stderr is a terminal)."""

    def __init__(self, enabled: bool | None = None, desc: str = ""):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.enabled = bool(enabled)
        self.desc = desc
        self._bar = None

    def start(self, total: int) -> None:
        if self.enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.desc, file=sys.stderr, leave=False, dynamic_ncols=True)

    def step(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------

def figure_names() -> list[str]:
    _register_all()
    return sorted(FIGURES)


def get_figure(name: str) -> FigureSpec:
    _register_all()
    try:
        return FIGURES[name]
    except KeyError:
        raise InvalidParameterError(f"unknown figure {name!r}; known: {', '.join(figure_names())}") from None


def load_instance(name: str, path: str | Path):
    """The user's data for figure ``name`` read from ``path`` (exact: numbers are read as their decimal text)."""
    spec = get_figure(name)
    if spec.instance is None:
        accepting = ", ".join(n for n in figure_names() if FIGURES[n].instance)
        raise InvalidParameterError(f"figure {name!r} does not run on user data (--instance works for: {accepting})")
    if spec.instance == "l1":
        from implicitreg.numerics.instance import Instance

        return Instance.load(path)
    from implicitreg.numerics.deep_linear import RegressionData

    return RegressionData.load(path)


def compute_figure(name: str, quick: bool = False, progress: bool | None = False, instance=None) -> FigureData:
    """The data of figure ``name`` (progress bar on stderr if ``progress`` is true, or None and a terminal), on
    the papers' data or on ``instance`` (see :func:`load_instance`)."""
    spec = get_figure(name)
    if instance is not None and spec.instance is None:
        raise InvalidParameterError(f"figure {name!r} does not run on user data")
    bar = Progress(progress, desc=name)
    try:
        data = spec.compute(quick, bar) if instance is None else spec.compute(quick, bar, instance)
    finally:
        bar.close()
    data.quick = quick
    if instance is not None:
        data.meta["user_instance"] = getattr(instance, "name", "user data")
    return data


def write_data(data: FigureData, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``NAME.json`` and ``NAME.csv`` into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jpath = out / f"{data.name}.json"
    cpath = out / f"{data.name}.csv"
    jpath.write_text(json.dumps(data.to_json(), indent=1, allow_nan=False) + "\n", encoding="utf-8")
    with cpath.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(data.csv_rows())
    return jpath, cpath


def load_data(path: str | Path) -> FigureData:
    """A :class:`FigureData` read back from a ``NAME.json`` written by :func:`write_data` (to re-plot it)."""
    d = json.loads(Path(path).read_text(encoding="utf-8"))

    def tup(v):
        return None if v is None else tuple(v)

    panels = [Panel(**dict(p, xlim=tup(p.get("xlim")), ylim=tup(p.get("ylim")))) for p in d["panels"]]
    curves = [Curve(**c) for c in d["curves"]]
    slopes = [SlopeFit(**dict(s, x_range=tuple(s["x_range"]))) for s in d["slopes"]]
    return FigureData(d["name"], d["title"], d["description"], panels, curves, slopes,
                      [Marker(**m) for m in d["markers"]], [BoundCheck(**c) for c in d["checks"]], d["quick"],
                      d["alpha_convention"], d["meta"])


def reproduce(name: str, out_dir: str | Path = ".", quick: bool = False,
              progress: bool | None = False, dpi: int = 100, instance=None) -> Reproduction:
    """Compute figure ``name`` (on ``instance`` if given) and write its PNG (at ``dpi``), JSON and CSV into
    ``out_dir``."""
    data = compute_figure(name, quick=quick, progress=progress, instance=instance)
    jpath, cpath = write_data(data, out_dir)
    from implicitreg.experiments.plotting import plot_figure

    png = plot_figure(data, Path(out_dir) / f"{data.name}.png", dpi=dpi)
    return Reproduction(name, png, jpath, cpath, data)


# --------------------------------------------------------------------------------------------
# Small helpers shared by the figures
# --------------------------------------------------------------------------------------------

def _num(v):
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (bool, str)) or obj is None:
        return obj
    if isinstance(obj, int):
        return obj
    try:
        return _num(obj)
    except (TypeError, ValueError):
        return str(obj)


def log_grid(start, stop, n: int) -> list[mpmath.mpf]:
    """``n`` points from ``start`` to ``stop``, equally spaced in log10."""
    start, stop = mpmath.mpf(start), mpmath.mpf(stop)
    if n == 1:
        return [start]
    a, b = mpmath.log10(start), mpmath.log10(stop)
    return [mpmath.power(10, a + (b - a) * k / (n - 1)) for k in range(n)]


def fit_line(xs: Sequence, ys: Sequence) -> tuple[float, list[float]]:
    """Least-squares log-log line through (xs, ys): (slope, fitted values at xs).

    The slope is :func:`implicitreg.proofs.checks.loglog_slope`; the line passes through the means.
    """
    from implicitreg.proofs.checks import loglog_slope

    slope = loglog_slope(xs, ys)
    lx = [mpmath.log(mpmath.mpf(v)) for v in xs]
    ly = [mpmath.log(mpmath.mpf(v)) for v in ys]
    mx, my = mpmath.fsum(lx) / len(lx), mpmath.fsum(ly) / len(ly)
    return float(slope), [float(mpmath.exp(my + slope * (a - mx))) for a in lx]


# ============================================================================================
# Bound curves evaluated from theory/ Bound objects
# ============================================================================================

def bound_provenance(theorem, bound) -> str:
    """'<kind> (<theorem>.<bound>)': the provenance label drawn next to a bound curve."""
    return f"{bound.provenance.kind} ({theorem.name} {bound.name})"


def bound_curve(panel: str, series: str, theorem, bound, xs: Sequence, values: Sequence[dict],
                label: str | None = None, role: str | None = None, dps: int = 30) -> tuple[Curve, list]:
    """The curve x -> bound(values[x]) (``Bound.evaluate``) and the mpf values, for drawing and checking."""
    vals = [bound.evaluate(dps, **v) for v in values]
    role = role or (bound.side if bound.side in ("upper", "lower") else "limit")
    curve = Curve(panel, series, role, label or f"{bound.lhs} {'<=' if role == 'upper' else '>='} {bound.expr}",
                  bound_provenance(theorem, bound), [float(x) for x in xs], [float(v) for v in vals],
                  f"implicitreg.theory: {theorem.name}/{bound.name}")
    return curve, vals


def check_against(data: FigureData, panel: str, series: str, theorem, bound, xs, observed, bound_values,
                  applicable: Sequence[bool] | None = None, note: str = "") -> None:
    """Record observed vs bound (side of ``bound``) for each point where the hypotheses hold."""
    for k, (x, obs, b) in enumerate(zip(xs, observed, bound_values)):
        if applicable is not None and not applicable[k]:
            continue
        if obs is None or (isinstance(obs, float) and not math.isfinite(obs)):
            continue
        obs = mpmath.mpf(obs)
        holds = obs <= b if bound.side == "upper" else obs >= b
        data.checks.append(BoundCheck(panel, series, f"{theorem.name}/{bound.name}", bound.side,
                                      bound.provenance.kind, float(x), float(obs), float(b), bool(holds), note))





def decades(top: int, bottom: int, quick_points=None) -> list[str]:
    """10^-top, ..., 10^-bottom as exact decimal strings ("1" for 10^0): every decade, or ``quick_points``
    spread evenly (an int), or the decades listed in ``quick_points`` (a tuple)."""
    ks = list(range(top, bottom + 1))
    if isinstance(quick_points, (tuple, list)):
        ks = [k for k in ks if k in set(quick_points)]
    elif quick_points is not None and quick_points < len(ks):
        ks = sorted({ks[round(i * (len(ks) - 1) / (quick_points - 1))] for i in range(quick_points)})
    return [f"1e-{k}" if k else "1" for k in ks]



def tail_fit(data: FigureData, panel: str, series: str, alphas, errs, below: float, predicted,
              predicted_provenance: str, color_series: str | None = None) -> None:
    """Fit the log-log slope on the points with alpha <= ``below`` and draw the fitted line."""
    pts = [(float(a), e) for a, e in zip(alphas, errs) if float(a) <= below and e > 0]
    if len(pts) < 2:
        return
    xs = [a for a, _ in pts]
    slope, line = fit_line(xs, [e for _, e in pts])
    agrees = None if predicted is None else slopes_agree(slope, float(predicted))
    data.slopes.append(SlopeFit(panel, series, slope, None if predicted is None else float(predicted),
                                predicted_provenance, (min(xs), max(xs)), "proofs.checks.loglog_slope", agrees))
    pred = "" if predicted is None else f", predicted {float(predicted):.3g} [{predicted_provenance}]"
    if agrees is False:
        pred += " -- PRE-ASYMPTOTIC: fitted and predicted disagree"
        mid = len(xs) // 2
        data.markers.append(Marker(panel, series, xs[mid], line[mid], "pre-asymptotic fit (fitted vs predicted slope)",
                                   f"fitted {slope:.4g} vs predicted {float(predicted):.4g} [{predicted_provenance}] "
                                   f"over {min(xs):.3g} .. {max(xs):.3g}", kind="pre-asymptotic",
                                   method="least-squares log-log fit", provenance="computed (slopes_agree)"))
    data.curves.append(Curve(panel, color_series or series, "fit", f"fitted slope {slope:.3f}{pred}",
                             "least squares", xs, line, "proofs.checks.loglog_slope"))


def slopes_agree(fitted: float, predicted: float) -> bool:
    """Whether a fitted log-log slope has reached the predicted exponent: within 5% of it plus 0.002 (the
    fitting noise of a tail over >= 10 decades); a fit outside that window is over a pre-asymptotic range."""
    return abs(fitted - predicted) <= 0.05 * abs(predicted) + 0.002
