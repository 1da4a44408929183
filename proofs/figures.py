"""Reproductions of the papers' experiments: figures with the theorems' bounds drawn and the data saved.

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
``NAME.csv`` (one row per plotted point) and ``NAME.png`` (matplotlib with the Agg canvas created
explicitly; pyplot and its global backend are never used). ``quick=True`` uses tiny grids so that
each figure renders in seconds; the default grids take minutes.
"""
from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import mpmath

from implicitreg.errors import InvalidParameterError

CURVE_ROLES = ("observed", "upper", "lower", "limit", "fit", "reference")


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

    def __post_init__(self):
        if self.role not in CURVE_ROLES:
            raise ValueError(f"curve role must be one of {CURVE_ROLES}, got {self.role!r}")
        if len(self.x) != len(self.y):
            raise ValueError(f"curve {self.label!r}: {len(self.x)} x values but {len(self.y)} y values")


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


@dataclass
class Marker:
    """A point to flag, e.g. where float64 arithmetic fails."""

    panel: str
    series: str
    x: float
    y: float
    label: str
    note: str = ""


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
        yield ["panel", "series", "role", "label", "provenance", "source", "x", "y"]
        for c in self.curves:
            for xv, yv in zip(c.x, c.y):
                yield [c.panel, c.series, c.role, c.label, c.provenance, c.source, _num(xv), _num(yv)]


@dataclass(frozen=True)
class FigureSpec:
    """A registered reproduction: ``compute(quick, progress) -> FigureData``."""

    name: str
    title: str
    description: str
    compute: Callable[[bool, "Progress"], FigureData]


@dataclass
class Reproduction:
    """What :func:`reproduce` wrote."""

    name: str
    png: Path
    json: Path
    csv: Path
    data: FigureData


FIGURES: dict[str, FigureSpec] = {}


def figure(name: str, title: str, description: str):
    """Decorator registering ``compute(quick, progress) -> FigureData`` under ``name``."""

    def wrap(fn):
        if name in FIGURES:
            raise ValueError(f"figure {name!r} registered twice")
        FIGURES[name] = FigureSpec(name, title, description, fn)
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
    return sorted(FIGURES)


def get_figure(name: str) -> FigureSpec:
    try:
        return FIGURES[name]
    except KeyError:
        raise InvalidParameterError(f"unknown figure {name!r}; known: {', '.join(figure_names())}") from None


def compute_figure(name: str, quick: bool = False, progress: bool | None = False) -> FigureData:
    """The data of figure ``name`` (progress bar on stderr if ``progress`` is true, or None and a terminal)."""
    spec = get_figure(name)
    bar = Progress(progress, desc=name)
    try:
        data = spec.compute(quick, bar)
    finally:
        bar.close()
    data.quick = quick
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


def reproduce(name: str, out_dir: str | Path = ".", quick: bool = False,
              progress: bool | None = False) -> Reproduction:
    """Compute figure ``name`` and write its PNG, JSON and CSV into ``out_dir``."""
    data = compute_figure(name, quick=quick, progress=progress)
    jpath, cpath = write_data(data, out_dir)
    png = plot_figure(data, Path(out_dir) / f"{data.name}.png")
    return Reproduction(name, png, jpath, cpath, data)


# --------------------------------------------------------------------------------------------
# Plotting (Agg canvas, no pyplot)
# --------------------------------------------------------------------------------------------

_STYLE = {
    "observed": dict(linestyle="-", marker="o", markersize=3, linewidth=1.3),
    "upper": dict(linestyle="--", linewidth=1.0),
    "lower": dict(linestyle=":", linewidth=1.3),
    "limit": dict(linestyle="-.", linewidth=1.0),
    "fit": dict(linestyle="-", linewidth=0.8, alpha=0.6),
    "reference": dict(linestyle="-", linewidth=0.8, color="0.55"),
}


def _legend_label(c: Curve) -> str:
    return f"{c.label} [{c.provenance}]"


def plot_figure(data: FigureData, path: str | Path, dpi: int = 80) -> Path:
    """Draw ``data`` and save a PNG at ``path``. The Agg canvas is attached explicitly."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(data.panels)
    ncols = 2 if n == 4 else min(n, 3)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(5.2 * ncols, 4.4 * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    series_all = list(dict.fromkeys(c.series for c in data.curves))
    palette = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C8", "C9"]
    color = {s: palette[i % len(palette)] for i, s in enumerate(series_all)}
    for ax, panel in zip(axes, data.panels):
        ax.set_title(panel.title, fontsize=9)
        ax.set_xlabel(panel.xlabel, fontsize=8)
        ax.set_ylabel(panel.ylabel, fontsize=8)
        ax.set_xscale(panel.xscale)
        ax.set_yscale(panel.yscale)
        ax.tick_params(labelsize=7)
        for c in data.curves_where(panel=panel.key):
            style = dict(_STYLE[c.role])
            if c.role == "observed" and len(c.x) > 40:
                style["marker"] = None
            style.setdefault("color", color[c.series])
            xs, ys = _plottable(c.x, c.y, panel)
            if not xs:
                continue
            ax.plot(xs, ys, label=_legend_label(c), **style)
        for s in data.slopes:
            if s.panel == panel.key:
                pred = "" if s.predicted is None else f", predicted {s.predicted:.3g} [{s.predicted_provenance}]"
                ax.plot([], [], " ", label=f"{s.series}: fitted slope {s.slope:.3f}{pred}")
        marks = [m for m in data.markers if m.panel == panel.key]
        for i, m in enumerate(marks):
            ax.axvline(m.x, color=color.get(m.series, "k"), linestyle=(0, (1, 3)), linewidth=0.8)
            ax.plot([m.x], [m.y], marker="X", markersize=8, color="red", linestyle="none",
                    label=m.label if i == 0 else None)
        if panel.xlim:
            ax.set_xlim(*panel.xlim)
        if panel.ylim:
            ax.set_ylim(*panel.ylim)
        ax.grid(True, which="major", linewidth=0.3)
        ax.legend(fontsize=5.5, loc="best", framealpha=0.7)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(data.title + ("  (quick)" if data.quick else ""), fontsize=10)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=dpi)
    return path


def _plottable(xs, ys, panel: Panel) -> tuple[list[float], list[float]]:
    """Drop points a log axis cannot show (non-positive) and non-finite ones."""
    out_x, out_y = [], []
    for a, b in zip(xs, ys):
        if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
            continue
        if (panel.xscale == "log" and a <= 0) or (panel.yscale == "log" and b <= 0):
            continue
        out_x.append(a)
        out_y.append(b)
    return out_x, out_y


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
# WAH figure 3: the potentials q_p, g_p, h_p (alpha = 1) and the Lemma B sandwich
# ============================================================================================

_WAH_DEPTHS = ("2", "5/2", "3", "4")


def _depth_label(p) -> str:
    from fractions import Fraction

    q = Fraction(p)
    return f"p={float(q):g}"


def _lambdified(expr, var):
    import sympy

    return sympy.lambdify(var, expr, modules="mpmath")


def _link_inverse_bisect(h_fn, s, p) -> mpmath.mpf:
    """t in (-1, 1) with h_p(t) = s for p > 2 (h_p odd, increasing): bracketed root finding.

    The bracket uses h_p(1 - e) >= e^(-p/(p-2)) - 1, so e = (2|s| + 2)^(-(p-2)/p) gives h_p(1 - e) > |s|.
    """
    s = mpmath.mpf(s)
    if s == 0:
        return mpmath.mpf(0)
    a = abs(s)
    e = (2 * a + 2) ** (-(p - 2) / p)
    t = mpmath.findroot(lambda u: h_fn(u) - a, (mpmath.mpf(0), 1 - e), solver="anderson")
    return t if s > 0 else -t


@figure("wah-fig3", "WAH figure 3: potentials q_p, tie-break g_p, link h_p (alpha = 1)",
        "q_p on [-5,5]x[0,3], g_p on [-8,8]x[-1.2,3], h_p on [-0.99,0.99]x[-20,20] for p in {2, 2.5, 3, 4} "
        "(wah.md section 8, authors' code), and a fourth panel: Lemma B at alpha = 1, 0 <= q_p - g_p <= C_p.")
def wah_fig3(quick: bool, progress: Progress) -> FigureData:
    from fractions import Fraction

    from implicitreg.theory import potentials as P

    n = 21 if quick else 301
    depths = [Fraction(v) for v in _WAH_DEPTHS]
    panels = [
        Panel("q", "potential q_p (alpha = 1)", "s", "q_p(s)", "linear", "linear", (-5, 5), (0, 3)),
        Panel("g", "tie-break functional g_p", "x", "g_p(x)", "linear", "linear", (-8, 8), (-1.2, 3)),
        Panel("h", "link h_p", "s", "h_p(s)", "linear", "linear", (-0.99, 0.99), (-20, 20)),
        Panel("lemma_b", "Lemma B at alpha = 1: 0 <= q_p(x) - g_p(x) <= C_p", "|x|", "q_p(x) - g_p(x)",
              "log", "linear"),
    ]
    data = FigureData("wah-fig3", FIGURES["wah-fig3"].title, FIGURES["wah-fig3"].description, panels,
                      alpha_convention="factor", meta={"alpha": 1, "depths": [str(p) for p in depths]})
    src_pot = "implicitreg.theory.potentials"
    prov_pot = "derived (theory.potentials; wah.md s2)"
    prov_g = "authors' code (theory.potentials.g)"
    progress.start(len(depths))
    with mpmath.workdps(30):
        s_q = [mpmath.mpf(-5) + 10 * mpmath.mpf(k) / (n - 1) for k in range(n)]
        x_g = [mpmath.mpf(-8) + 16 * (mpmath.mpf(k) + mpmath.mpf(1) / 2) / n for k in range(n)]  # avoids x = 0
        s_h = [mpmath.mpf("-0.99") + mpmath.mpf("1.98") * k / (n - 1) for k in range(n)]
        x_b = log_grid("1e-3", "1e4", n)  # increasing |x|
        for p in depths:
            label = _depth_label(p)
            h_fn = _lambdified(P.h(p, P.s), P.s)
            g_fn = _lambdified(P.g(p, P.x), P.x)
            if p == 2:
                q_fn = _lambdified(P.q_closed(P.s), P.s)
            else:
                _, q_of_t = P.q_parametric(p, P.t)
                q_t = _lambdified(q_of_t, P.t)
                pf = mpmath.mpf(p.numerator) / p.denominator

                def q_fn(v, q_t=q_t, h_fn=h_fn, pf=pf):
                    return q_t(_link_inverse_bisect(h_fn, v, pf))
            C_mp = mpmath.mpf(str(P.lemma_b_constant(p).evalf(40)))
            C = float(C_mp)
            data.curves.append(Curve("q", label, "observed", f"q_{label[2:]}", prov_pot,
                                     [float(v) for v in s_q], [float(q_fn(v)) for v in s_q], src_pot + ".q"))
            data.curves.append(Curve("g", label, "observed", f"g_{label[2:]}", prov_g,
                                     [float(v) for v in x_g], [float(g_fn(v)) for v in x_g], src_pot + ".g"))
            data.curves.append(Curve("h", label, "observed", f"h_{label[2:]}", prov_pot,
                                     [float(v) for v in s_h], [float(h_fn(v)) for v in s_h], src_pot + ".h"))
            gap = [q_fn(v) - g_fn(v) for v in x_b]
            xs = [float(v) for v in x_b]
            data.curves.append(Curve("lemma_b", label, "observed", f"q-g, {label}", prov_pot, xs,
                                     [float(v) for v in gap], src_pot))
            data.curves.append(Curve("lemma_b", label, "upper", f"C_p = {C:.6g}, {label}",
                                     "derived (Lemma B, wah.md s5)", xs, [C] * n, src_pot + ".lemma_b_constant"))
            data.curves.append(Curve("lemma_b", label, "lower", f"0, {label}", "derived (Lemma B, wah.md s5)",
                                     xs, [0.0] * n, src_pot))
            for xv, gv in zip(xs, gap):
                data.checks.append(BoundCheck("lemma_b", label, "Lemma B upper", "upper", "derived", xv, float(gv), C,
                                              bool(gv <= C_mp)))
                data.checks.append(BoundCheck("lemma_b", label, "Lemma B lower", "lower", "derived", xv, float(gv),
                                              0.0, bool(gv >= 0)))
            progress.step()
    return data
