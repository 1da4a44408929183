"""Figures drawn from a sweep's dataset (matplotlib, Agg backend): one per shipped sweep.

* ``worst_ratio``: the distribution of observed error / bound per statement (log scale), the worst ratio marked,
  the line ratio = 1 (a bound holds where every ratio is below it; a lower bound above it);
* ``rate_vs_rho``: fitted rate against rho per depth, with the predicted lines 1 - rho (D = 2) and 1 (D > 2);
* ``kink_transition``: log10 ||x_inf - x*||_2 on the (alpha, eps) grid per depth p, with the transition scale
  eps*(alpha) (alpha^(p-2), or 1/log(1/alpha^2) at p = 2) drawn over it.

:func:`draw` reads only the dataset, so a figure can be redrawn from any (partial) run.
"""
from __future__ import annotations

import math
from pathlib import Path

FIGURES = {
    "worst_ratio": "observed error / bound over random instances (how loose the constants are)",
    "rate_vs_rho": "fitted rate against rho, with the lines 1 - rho (D = 2) and 1 (D > 2)",
    "kink_transition": "kink error on the (eps, alpha) grid per depth, with the transition scale eps*(alpha)",
}


def _rows(out):
    from implicitreg.experiments.sweep_store import read_dataset

    return read_dataset(out).to_pylist()


def _depth_float(text: str) -> float:
    from fractions import Fraction

    return float(Fraction(text))


def draw(kind: str, out, path=None) -> Path:
    """Draw figure ``kind`` from the dataset under ``out``; write a PNG (default ``out/<kind>.png``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from implicitreg.errors import InvalidParameterError

    if kind not in FIGURES:
        raise InvalidParameterError(f"unknown figure {kind!r} (known: {sorted(FIGURES)})")
    rows = _rows(out)
    path = Path(path) if path else Path(out) / f"{kind}.png"
    fig = {"worst_ratio": _worst_ratio, "rate_vs_rho": _rate_vs_rho, "kink_transition": _kink}[kind](rows, plt)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _summary(rows):
    return ", ".join(f"{v}: {sum(r['verdict'] == v for r in rows)}" for v in sorted({r["verdict"] for r in rows}))


def _worst_ratio(rows, plt):
    groups = {}
    for r in rows:
        if r["ratio_f"] is not None and r["side"] in ("upper", "lower") and r["ratio_f"] > 0:
            groups.setdefault(f"{r['statement']} (D = {r['depth']})", []).append(r)
    fig, axes = plt.subplots(1, max(len(groups), 1), figsize=(5.5 * max(len(groups), 1), 4), squeeze=False)
    for ax, (label, rs) in zip(axes[0], sorted(groups.items())):
        vals = [math.log10(r["ratio_f"]) for r in rs]
        upper = rs[0]["side"] == "upper"
        worst = max(rs, key=lambda r: r["ratio_f"]) if upper else min(rs, key=lambda r: r["ratio_f"])
        ax.hist(vals, bins=40, color="#4477aa")
        ax.axvline(0, color="k", lw=1, label="ratio = 1")
        ax.axvline(math.log10(worst["ratio_f"]), color="#cc3311", ls="--",
                   label=f"worst {worst['ratio']:.10s} ({worst['instance']})")
        ax.set_xlabel("log10 (observed / bound)")
        ax.set_ylabel("instances")
        ax.set_title(f"{label}\n{len(rs)} rows; {_summary(rs)}", fontsize=9)
        ax.legend(fontsize=8)
    if not groups:
        axes[0][0].text(0.5, 0.5, "no rows with a ratio yet", ha="center")
    fig.tight_layout()
    return fig


def _rate_vs_rho(rows, plt):
    pts = {}
    for r in rows:
        if r["side"] == "rate" and r["observed_f"] is not None and r["rho_f"] is not None:
            pts.setdefault(r["depth"], []).append((r["rho_f"], r["observed_f"]))
    fig, ax = plt.subplots(figsize=(6, 4.5))
    colours = ["#4477aa", "#cc3311", "#228833", "#aa3377"]
    for k, (depth, p) in enumerate(sorted(pts.items(), key=lambda kv: _depth_float(kv[0]))):
        ax.scatter([a for a, _ in p], [b for _, b in p], s=12, color=colours[k % 4], label=f"D = {depth} ({len(p)})")
    ax.plot([0, 1], [1, 0], "k-", lw=1, label="1 - rho (MS-D2)")
    ax.plot([0, 1], [1, 1], "k--", lw=1, label="1 (MS-D3)")
    ax.set_xlabel("rho")
    ax.set_ylabel("fitted rate  d log||x_inf - x*||_1 / d log alpha")
    ax.set_title(f"fitted rate vs rho; {_summary([r for r in rows if r['side'] == 'rate'])}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _kink(rows, plt):
    import numpy as np

    by_depth = {}
    for r in rows:
        if r["statement"] == "kink_error" and r["observed_f"] is not None:
            by_depth.setdefault(r["depth"], []).append(r)
    depths = sorted(by_depth, key=_depth_float)
    fig, axes = plt.subplots(1, max(len(depths), 1), figsize=(4.8 * max(len(depths), 1), 4.2), squeeze=False)
    for ax, depth in zip(axes[0], depths):
        rs = by_depth[depth]
        alphas = sorted({r["alpha_f"] for r in rs})
        epss = sorted({r["eps_f"] for r in rs})
        grid = np.full((len(epss), len(alphas)), np.nan)
        ia, ie = {a: k for k, a in enumerate(alphas)}, {e: k for k, e in enumerate(epss)}
        for r in rs:
            grid[ie[r["eps_f"]], ia[r["alpha_f"]]] = math.log10(max(r["observed_f"], 1e-300))
        mesh = ax.pcolormesh(np.log10(alphas), np.log10(epss), grid, shading="nearest", cmap="viridis")
        fig.colorbar(mesh, ax=ax, label="log10 ||x_inf - x*||_2")
        p = _depth_float(depth)
        la = np.log10(alphas)
        k = p if rs[0]["alpha_convention"] == "factor" else 1  # alpha_product = alpha^k
        if p == 2:
            star = [-math.log10(k * math.log(1 / a)) if a < 1 else np.nan for a in alphas]
        else:
            star = [(p - 2) * k / p * v for v in la]
        ax.plot(la, star, "w--", lw=1.2, label="eps*(alpha)")
        if len(epss) > 1:  # a single eps row keeps matplotlib's own limits
            ax.set_ylim(math.log10(epss[0]), math.log10(epss[-1]))
        ax.set_xlabel(f"log10 alpha ({rs[0]['alpha_convention']})")
        ax.set_ylabel("log10 eps")
        ax.set_title(f"kink, p = {depth} ({len(rs)} points)", fontsize=9)
        ax.legend(fontsize=8, loc="lower right")
    if not depths:
        axes[0][0].text(0.5, 0.5, "no kink rows yet", ha="center")
    fig.tight_layout()
    return fig
