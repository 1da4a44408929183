"""Drawing a :class:`~implicitreg.experiments.figure.FigureData`: matplotlib with the Agg canvas created explicitly
(pyplot and its global backend are never used).

Colour = series; line style = role (observed, upper/lower bound, limit, rate, fitted line, reference); a second or
third statement of the same role in one panel gets its own dash pattern and mark; markers flag float64 failures,
bound violations, diverged runs and pre-asymptotic fits. Log axes are clipped to a decade around the data.
"""
from __future__ import annotations

import math
from pathlib import Path

from implicitreg.experiments.figure import Curve, FigureData, Panel

_STYLE = {
    "observed": dict(linestyle="-", marker="o", markersize=3, linewidth=1.3, zorder=2),
    "upper": dict(linestyle="--", linewidth=1.1, zorder=3),
    "lower": dict(linestyle=":", linewidth=1.4, zorder=3),
    "limit": dict(linestyle="-.", linewidth=1.0, zorder=3),
    "rate": dict(linestyle=(0, (5, 2, 1, 2)), linewidth=1.0, zorder=4),
    "fit": dict(linestyle="-", linewidth=0.8, alpha=0.7, zorder=4),
    "reference": dict(linestyle="-", linewidth=0.9, zorder=1),
}

#: per role, the line-style variants given to the 2nd, 3rd, ... distinct statement drawn in one panel (so that
#: e.g. MS-D2's and MS-D3's upper bounds, or Lemma B and its p = 2 form, are told apart in the legend)
_VARIANTS = {
    "upper": ["--", (0, (8, 2, 1, 2)), (0, (3, 1))],
    "lower": [":", (0, (1, 1, 4, 1)), (0, (2, 3))],
    "limit": ["-.", (0, (6, 1, 1, 1, 1, 1)), (0, (9, 3))],
    "rate": [(0, (5, 2, 1, 2)), (0, (5, 2, 1, 2, 1, 2)), (0, (2, 2))],
    "reference": ["-", (0, (4, 2)), (0, (1, 2)), (0, (6, 2, 2, 2))],
}
_VARIANT_MARKERS = [None, "^", "v", "s"]

_MARKER_STYLE = {
    "float64": dict(marker="X", markersize=9, color="red", markeredgecolor="k", markeredgewidth=0.5),
    "violation": dict(marker="*", markersize=12, color="magenta", markeredgecolor="k", markeredgewidth=0.5),
    "diverged": dict(marker="x", markersize=7, color="k", markeredgewidth=1.5),
    "pre-asymptotic": dict(marker="d", markersize=7, color="orange", markeredgecolor="k", markeredgewidth=0.5),
}

_ROLE_NAMES = {"observed": "observed", "upper": "upper bound", "lower": "lower bound", "limit": "limit",
               "rate": "rate", "fit": "fitted line", "reference": "", "marker": ""}

LEGEND_FONTSIZE = 8


def _role_label(role: str, text: str) -> str:
    name = _ROLE_NAMES.get(role, role)
    return f"{name}: {text}" if name else text


def plot_figure(data: FigureData, path: str | Path, dpi: int = 100) -> Path:
    """Draw ``data`` and save a PNG at ``path``. The Agg canvas is attached explicitly."""
    import textwrap

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    n = len(data.panels)
    ncols = 2 if n == 4 else min(n, 3)
    nrows = math.ceil(n / ncols)
    width = max(5.6 * ncols, 7.5)
    fig = Figure(figsize=(width, 7.0 * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    series_all = list(dict.fromkeys(c.series for c in data.curves))
    palette = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C8", "C9", "C7"]
    color = {s: palette[i % len(palette)] for i, s in enumerate(series_all)}

    for ax, panel in zip(axes, data.panels):
        ax.set_title(panel.title, fontsize=9)
        ax.set_xlabel(panel.xlabel, fontsize=9)
        ax.set_ylabel(panel.ylabel, fontsize=9)
        ax.set_xscale(panel.xscale)
        ax.set_yscale(panel.yscale)
        ax.tick_params(labelsize=8)
        if panel.integer_x:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ticks = sorted({int(v) for c in data.curves_where(panel=panel.key) for v in c.x if v is not None})
            if ticks and panel.xscale == "log":
                ax.set_xticks(ticks, [str(t) for t in ticks])
                ax.minorticks_off()
        # legend: one entry per series (colour) and one per (role, statement) (line style, in black)
        series_handles: dict[str, Line2D] = {}
        role_handles: dict[tuple[str, str], Line2D] = {}
        variant: dict[tuple[str, str], int] = {}
        for c in data.curves_where(panel=panel.key):
            style = dict(_STYLE[c.role])
            if c.role == "observed" and len(c.x) > 40:
                style["marker"] = None
            if c.role == "reference" and not data.curves_where(panel=panel.key, series=c.series, role="observed"):
                style["color"] = "0.45"  # a reference of no plotted series (e.g. a constant for orientation)
            else:
                style["color"] = color[c.series]
            key = (c.role, c.label if c.role == "reference" else c.provenance + (f" [{c.label}]" if c.style else ""))
            if c.role in _VARIANTS:
                k = variant.setdefault(key, len([v for v in variant if v[0] == c.role]))
                style["linestyle"] = _VARIANTS[c.role][k % len(_VARIANTS[c.role])]
                if _VARIANT_MARKERS[k % len(_VARIANT_MARKERS)]:
                    style.update(marker=_VARIANT_MARKERS[k % len(_VARIANT_MARKERS)], markersize=4, markevery=0.2)
            if c.style.startswith("scatter"):
                style.update(linestyle="none", marker="o" if c.style == "scatter" else "s")
                if c.style == "scatter-open":
                    style["markerfacecolor"] = "none"
            if c.y_low is not None:
                xs, lo, hi = _band(c, panel)
                if xs:
                    ax.fill_between(xs, lo, hi, color=color[c.series], alpha=0.2, linewidth=0, zorder=1)
                    role_handles.setdefault(("band", c.band), Line2D([], [], color="0.6", linewidth=6, alpha=0.5))
            xs, ys = _plottable(c.x, c.y, panel)
            if not any(v == v for v in ys):
                continue
            ax.plot(xs, ys, **style)
            if c.role != "reference":
                series_handles.setdefault(c.series, Line2D([], [], color=color[c.series], linewidth=2))
            if key not in role_handles:
                proxy = {k: v for k, v in style.items() if k not in ("color", "markevery", "zorder")}
                # a reference keeps its colour in the legend (it names its series' value, e.g. 2 / eta)
                proxy["color"] = style["color"] if c.role == "reference" else "0.15"
                if c.role == "observed" and not c.style:
                    proxy["marker"] = "o"
                role_handles[key] = Line2D([], [], **proxy)
        marks = [m for m in data.markers if m.panel == panel.key]
        for m in marks:
            if m.kind == "float64":
                ax.axvline(m.x, color=color.get(m.series, "k"), linestyle=(0, (1, 3)), linewidth=0.8)
            ax.plot([m.x], [m.y], linestyle="none", zorder=5, **_MARKER_STYLE[m.kind])
            role_handles.setdefault(("marker", m.label), Line2D([], [], linestyle="none", **_MARKER_STYLE[m.kind]))
        slope_labels = []
        for s in (s for s in data.slopes if s.panel == panel.key):
            pred = "" if s.predicted is None else f" (predicted {s.predicted:.4g}, {s.predicted_provenance})"
            flag = " PRE-ASYMPTOTIC" if s.asymptotic is False else ""
            slope_labels.append(f"fitted slope {s.series}: {s.slope:.4f}{pred}{flag}")
        if panel.xlim:
            ax.set_xlim(*panel.xlim)
        ylim = panel.ylim or _data_ylim(data, panel)
        if ylim:
            ax.set_ylim(*ylim)
            slope_labels += _off_axis_labels(data, panel, ylim)
        ax.grid(True, which="major", linewidth=0.3)
        _plain_short_log_labels(ax, panel)
        handles = list(series_handles.values()) + list(role_handles.values())
        labels = list(series_handles) + [_role_label(r, t) if r != "band" else t for r, t in role_handles]
        handles += [Line2D([], [], linestyle="none")] * len(slope_labels)
        labels += slope_labels
        if handles:
            wrap = max(40, int(width / ncols * 12))
            labels = [textwrap.fill(lb, wrap, subsequent_indent="    ") for lb in labels]
            ax.legend(handles, labels, fontsize=LEGEND_FONTSIZE, loc="upper left", bbox_to_anchor=(0.0, -0.12),
                      ncol=1, frameon=False, handlelength=3.5)
    for ax in axes[n:]:
        ax.set_visible(False)

    fig.suptitle(textwrap.fill(data.title + ("  (quick)" if data.quick else ""), int(width * 14)), fontsize=10)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.set_dpi(dpi)
    canvas = fig.canvas
    canvas.draw()
    from PIL import Image  # matplotlib's own dependency

    # a 256-colour palette keeps the PNG small (line art) without lowering the resolution; the fast octree picks it
    # in a tenth of the median cut's time (Pillow's default for RGB), and its PNG is smaller still
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(path, format="PNG", optimize=True)
    return path


def _off_axis_labels(data: FigureData, panel: Panel, ylim) -> list[str]:
    """Legend lines naming the bound curves that lie wholly outside the clipped y range (so that clipping does
    not hide that they exist and how far off they are)."""
    out = []
    for c in data.curves_where(panel=panel.key):
        if c.role not in ("upper", "lower", "limit"):
            continue
        ys = [v for v in c.y if v is not None and math.isfinite(v) and (panel.yscale != "log" or v > 0)]
        if ys and (min(ys) > ylim[1] or max(ys) < ylim[0]):
            side = "above" if min(ys) > ylim[1] else "below"
            out.append(f"off the axis ({side}): {_ROLE_NAMES[c.role]} {c.series}: {min(ys):.2g} .. {max(ys):.2g}")
    return out


def _plain_short_log_labels(ax, panel: Panel) -> None:
    """On a log axis spanning less than two decades inside [1e-3, 1e4], label the ticks as plain numbers (20, 30,
    50) instead of 2x10^1, 3x10^1, whose labels collide."""
    from matplotlib.ticker import FuncFormatter

    for axis, scale, lim, integer in ((ax.xaxis, panel.xscale, ax.get_xlim(), panel.integer_x),
                                      (ax.yaxis, panel.yscale, ax.get_ylim(), False)):
        lo, hi = sorted(lim)
        if scale != "log" or integer or lo <= 0 or not (1e-3 <= lo and hi <= 1e4) or math.log10(hi / lo) >= 2:
            continue
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        digits = "235" if math.log10(hi / lo) < 1.2 else "25"  # leading digits of the labelled minor ticks
        axis.set_minor_formatter(FuncFormatter(lambda v, _, digits=digits: f"{v:g}" if f"{v:g}"[0] in digits else ""))


def _plottable(xs, ys, panel: Panel) -> tuple[list[float], list[float]]:
    """The points a log axis can show; a missing, non-finite or non-positive (log axis) value becomes NaN, which
    breaks the line there instead of drawing it across the gap."""
    out_x, out_y = [], []
    nan = float("nan")
    for a, b in zip(xs, ys):
        if a is None or not math.isfinite(a) or (panel.xscale == "log" and a <= 0):
            continue
        if b is None or not math.isfinite(b) or (panel.yscale == "log" and b <= 0):
            b = nan
        out_x.append(a)
        out_y.append(b)
    return out_x, out_y


def _band(curve: Curve, panel: Panel):
    """The drawable part of a curve's confidence band: on a log axis only the points whose interval stays positive
    (where it reaches 0 the band is left out; the data file keeps it)."""
    xs, lo, hi = [], [], []
    for a, low, high in zip(curve.x, curve.y_low, curve.y_high):
        if a is None or low is None or high is None:
            continue
        if panel.yscale == "log" and min(low, high) <= 0:
            continue
        xs.append(a)
        lo.append(low)
        hi.append(high)
    return xs, lo, hi


def _data_ylim(data: FigureData, panel: Panel):
    """Bound curves are clipped to the data: the y range of the observed values (and markers), widened by a
    decade on a log axis, so that a loose bound far above does not squash the data."""
    if panel.yscale != "log":
        return None
    ys = [v for c in data.curves_where(panel=panel.key, role="observed") for v in c.y
          if isinstance(v, (int, float)) and math.isfinite(v) and v > 0]
    ys += [m.y for m in data.markers if m.panel == panel.key and m.y and m.y > 0]
    ys += [v for c in data.curves_where(panel=panel.key, role="reference") for v in c.y
           if isinstance(v, (int, float)) and math.isfinite(v) and v > 0]
    if not ys:
        return None
    lo, hi = min(ys), max(ys)
    return lo / 10, hi * 10
