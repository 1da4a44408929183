"""One sweep task, evaluated: a pure function of its content (exact instance, depth, alpha, statement, digits).

Statements a sweep can evaluate (``check_statement`` decides, :func:`statement_names` lists them):

* ``THEOREM:BOUND``, any bound of a registered theorem (:data:`implicitreg.theory.statement.THEOREMS`) whose
  left-hand side is one of :data:`OBSERVABLES` and whose free symbols are all in :data:`QUANTITIES`:
  ``upper``/``lower`` bounds get a verdict, ``limit`` bounds a ratio observed / limit, ``rate`` bounds a least-squares
  slope over the alpha grid (one task per instance and depth). The theorem's hypotheses are decided on the
  instance first; a failing one makes the row ``inapplicable`` with its reason. alpha is converted to the
  theorem's own convention (product for MS-*, factor for WAH-*).
* ``fitted_rate``: the slope of log ||x_inf - x*||_1 against log alpha_product on the smallest half of the alphas,
  compared with the applicable rate (MS-D2 ``1 - rho`` at D = 2, MS-D3 ``1`` at D > 2);
* ``selected_distance``: ||x_inf(alpha) - x_g(p)||_2, the distance to the selected l1 minimizer (WAH Thm D/E);
* ``kink_error``: ||x_inf - x*||_2 on the kink A = [1, 1 - eps] (one-dimensional dual root, solved at two
  precisions), against the collapse profile at eps / eps*(alpha) (``numerics.kink``).

Verdicts: ``holds`` / ``violated`` (inequalities decided at the certified digits), ``undecided`` (observed and
bound agree to all certified digits), ``consistent`` / ``inconsistent`` (a fitted rate within / outside
``SLOPE_TOL`` of the prediction), ``measured`` (limits and measurements), ``inapplicable`` (a hypothesis fails),
``error`` (the computation raised: the row carries the error).
"""
from __future__ import annotations

import json
import math
import time
import traceback
from fractions import Fraction
from functools import lru_cache

import mpmath
from mpmath import mpf

from implicitreg.numerics.precision import mpf_from

SLOPE_TOL = Fraction(2, 100)
#: a fitted rate needs every point certified to this many significant digits (else the row is undecided)
MIN_FIT_DIGITS = 3
MEASUREMENTS = ("fitted_rate", "selected_distance", "kink_error")
KINK_STATEMENTS = ("kink_error",)
#: registered bounds whose own applicability (beyond the theorem's hypotheses) the sweep does not decide
NOT_SWEPT = {
    "WAH-E:rate_2_offsupport": "applies only when S^c is nonempty and rho > 0 (a per-bound condition not decided here)",
    "WAH-E:rate_2_full": "applies only when the maximal support is every coordinate (not decided here)",
}

#: left-hand sides of registered bounds a sweep can observe, by context ("diagonal" or "kink")
OBSERVABLES = {
    "diagonal": {
        "||x_inf - x*||_1": "err_l1",
        "||x_inf - x*||_inf": "err_inf",
        "||x_inf,S^c||_inf": "off_support",
        "||x_inf - x*||_1 / alpha": "err_l1_over_alpha",
        "||x_inf||_1 - M": "objective_gap",
        "log||x_inf - x*|| / log alpha": "err_l1",     # rate bounds: expr is the exponent
        "||x_inf - x_g||": "selected_distance",          # rate bounds: expr is the order alpha^k
    },
    "kink": {
        "||x_inf - x*||_2 / alpha^p": "err_l2_over_alpha_product",
        "||x_inf - x*||_2": "err_l2",
    },
}
#: instance and run quantities the bounds' symbols name (definitions in docs/sweeps.md)
QUANTITIES = {
    "diagonal": ("alpha", "rho", "K1", "Kbar1", "K2", "n", "M0", "rho_minus", "E1", "D", "p", "N", "M", "X1"),
    "kink": ("alpha", "epsilon", "p", "D"),
}


def _theorems():
    import implicitreg.theory.basis_pursuit  # noqa: F401 - registers
    import implicitreg.theory.diagonal  # noqa: F401
    import implicitreg.theory.selection  # noqa: F401
    import implicitreg.theory.sharpness  # noqa: F401
    from implicitreg.theory.statement import THEOREMS

    return THEOREMS


def _lookup(name: str):
    """(theorem, bound) for ``THEOREM:BOUND``, or raise KeyError with a message."""
    if ":" not in name:
        raise KeyError(f"unknown statement {name!r}: use THEOREM:BOUND or one of {MEASUREMENTS}")
    tname, bname = name.rsplit(":", 1)
    th = _theorems().get(tname)
    if th is None:
        raise KeyError(f"no registered theorem {tname!r} (registered: {sorted(_theorems())})")
    try:
        return th, th.bound(bname)
    except KeyError:
        raise KeyError(f"{tname} has no bound {bname!r} (has {[b.name for b in th.bounds]})") from None


def context_of(name: str) -> str:
    if name in KINK_STATEMENTS or name.startswith("WAH-kink"):
        return "kink"
    return "diagonal"


def convention_of(theorem_name: str) -> str:
    """The alpha convention a theorem is stated in: factor for the WAH statements, product otherwise."""
    return "factor" if theorem_name.startswith("WAH") else "product"


def is_fit(name: str) -> bool:
    """Does the statement need the whole alpha grid (one task per instance and depth)?"""
    if name == "fitted_rate":
        return True
    if name in MEASUREMENTS:
        return False
    try:
        return _lookup(name)[1].side == "rate"
    except KeyError:
        return False


def statement_names() -> list[str]:
    """Every statement a sweep can evaluate."""
    out = list(MEASUREMENTS)
    for th in _theorems().values():
        for b in th.bounds:
            name = f"{th.name}:{b.name}"
            if check_statement(name, None, (), 3) is None:
                out.append(name)
    return out


def check_statement(name: str, family: str | None, depths, n_alphas: int) -> str | None:
    """Why ``name`` cannot be evaluated on ``family`` (None if it can)."""
    ctx = context_of(name)
    if family is not None and ctx == "kink" and family != "kink":
        return f"{name!r} needs the kink family"
    if name in MEASUREMENTS:
        if name == "fitted_rate" and n_alphas < 3:
            return "fitted_rate needs at least 3 alphas"
        return None
    try:
        th, b = _lookup(name)
    except KeyError as exc:
        return str(exc.args[0])
    if b.lhs not in OBSERVABLES[ctx]:
        return (f"{name}: the sweep cannot observe {b.lhs!r} (observables: {sorted(OBSERVABLES[ctx])}); "
                f"evaluable statements: see 'implicitreg sweep --list'")
    missing = [s.name for s in b.symbols if s.name not in QUANTITIES[ctx]]
    if missing:
        return f"{name}: the sweep does not compute {missing}"
    if b.side == "equality":
        return f"{name}: equality statements are not swept"
    if name in NOT_SWEPT:
        return f"{name}: {NOT_SWEPT[name]}"
    if b.side == "rate" and n_alphas < 3:
        return f"{name}: a rate needs at least 3 alphas"
    return None


# ---- numbers ------------------------------------------------------------------------------------------------------

def _frac(text: str) -> Fraction:
    from implicitreg.numerics.exact import parse_exact

    return parse_exact(text, "value")


def _dec(x, digits: int) -> str | None:
    """x as a decimal string with ``digits`` significant digits (None when x is None)."""
    if x is None:
        return None
    if isinstance(x, Fraction):
        from implicitreg.experiments.sweep_spec import exact_text

        return exact_text(x)
    with mpmath.workdps(max(digits, 1) + 10):
        x = x if isinstance(x, mpf) else mpf(x)  # mpf(x) of an mpf would round it to the ambient precision
        if not mpmath.isfinite(x):
            return str(x)
        if x == 0:
            return "0"
        return mpmath.nstr(x, max(digits, 1), strip_zeros=False, min_fixed=-4, max_fixed=max(digits, 1) + 1)


def _float(x) -> float | None:
    if x is None:
        return None
    try:
        return float(x)
    except (OverflowError, ValueError):
        return math.nan


def _digits_of(value, abs_acc) -> int:
    """Significant digits of ``value`` given an absolute accuracy ``abs_acc``."""
    if value == 0:
        return 0
    if abs_acc == 0:
        return 1000
    return max(int(mpmath.floor(mpmath.log10(abs(value) / abs_acc))) - 1, 0)


# ---- the diagonal context: x_inf of an exact instance ---------------------------------------------------------------

class _Diagonal:
    """Everything a task may need about (instance, depth, alpha), computed on demand."""

    def __init__(self, content: dict, alpha: Fraction):
        from implicitreg import as_instance

        self.content = content
        data = content["instance"]
        self.inst = as_instance(data["A"], data["y"], name=content["label"])
        self.D = _frac(content["depth"])
        self.alpha = alpha
        self.conv = content["alpha_convention"]
        self.digits = content["digits"]
        self._bp = self._sc = self._lim = self._pc = None
        self.limit_digits = 0

    @property
    def bp(self):
        """The public :class:`implicitreg.BasisPursuit` (exact, re-checked in rationals)."""
        if self._bp is None:
            from implicitreg import l1_minimizer

            self._bp = l1_minimizer(self.inst)
        return self._bp

    @property
    def sc(self):
        if self._sc is None:
            from implicitreg.numerics.error_constants import support_constants

            self._sc = support_constants(self.inst)
        return self._sc

    def unique(self) -> bool:
        return self.bp.unique and bool(self.bp.support)

    def limit(self, digits: int | None = None):
        """The public :class:`implicitreg.GradientFlowLimit` at ``digits`` (default: the task's) certified digits."""
        from implicitreg import gradient_flow_limit

        want = digits or self.digits
        if self._lim is None or self._lim.digits_certified < want:
            self._lim = gradient_flow_limit(self.inst, depth=self.D, alpha=self.alpha, alpha_convention=self.conv,
                                            digits=want)
            self._pc = None
        return self._lim

    @property
    def pc(self):
        if self._pc is None:
            from implicitreg.numerics.error_constants import posterior_constants

            self._pc = posterior_constants(self.limit().raw, self.sc)
        return self._pc

    def alpha_in(self, convention: str):
        """alpha in ``convention`` (exact when it is the input convention)."""
        if convention == self.conv:
            return self.alpha
        lim = self.limit()
        with mpmath.workdps(lim.dps):
            return lim.alpha_product if convention == "product" else lim.alpha_product ** (1 / mpf_from(self.D))

    def _accuracy(self, lim):
        with mpmath.workdps(lim.dps):
            ulp = mpf(10) ** (-lim.digits_certified)
            return [max(abs(v), lim.floor) * ulp for v in lim.x]

    def observe(self, what: str):
        """(value, certified significant digits) of an observable; retries once at more digits if short."""
        value, digits = self._observe(what, self.limit())
        if digits < self.digits:
            value, digits = self._observe(what, self.limit(min(2 * self.digits + (self.digits - digits) + 5, 1000)))
        return value, min(digits, self.digits)

    def _observe(self, what, lim):
        acc = self._accuracy(lim)
        with mpmath.workdps(lim.dps):
            if what == "objective_gap":
                M = mpf_from(self.bp.l1_norm)
                v = mpmath.fsum(abs(u) for u in lim.x) - M
                return v, _digits_of(v, mpmath.fsum(acc))
            xs = [mpf_from(q) for q in self.sc.x_star]
            h = [u - w for u, w in zip(lim.x, xs)]
            if what in ("err_l1", "err_l1_over_alpha"):
                v = mpmath.fsum(abs(u) for u in h)
                d = _digits_of(v, mpmath.fsum(acc))
                return (v / lim.alpha_product if what == "err_l1_over_alpha" else v), d
            if what == "err_inf":
                k = max(range(len(h)), key=lambda i: abs(h[i]))
                return abs(h[k]), _digits_of(h[k], max(acc))
            if what == "off_support":
                C = self.sc.complement
                if not C:
                    return mpf(0), 1000
                k = max(C, key=lambda j: abs(lim.x[j]))
                return abs(lim.x[k]), _digits_of(lim.x[k], acc[k])
        raise KeyError(what)

    def quantity(self, name: str, theorem_convention: str):
        from implicitreg.numerics import error_constants as ec

        if name == "alpha":
            return self.alpha_in(theorem_convention)
        if name in ("D", "p"):
            return self.D
        if name == "N":
            return self.inst.N
        if name == "M":
            return self.bp.l1_norm
        if name == "X1":
            lim = self.limit()
            with mpmath.workdps(lim.dps):
                return mpmath.fsum(abs(u) for u in lim.x)
        sc = self.sc
        if name in ("rho", "K2", "n"):
            return getattr(sc, name)
        if name == "K1":
            return self.pc.K1
        if name == "Kbar1":
            return ec.k1_apriori(sc, self.alpha_in("product"))
        if name == "M0":
            with mpmath.workdps(self.limit().dps):
                return ec.offsupport_radius(self.D, self.pc.rho_a, sc.n)
        if name == "rho_minus":
            return max(self.pc.rho_minus, mpf(0))
        if name == "E1":
            return ec.limit_direction(self.inst, self.D, digits=self.digits, sc=sc).e_norm1
        raise KeyError(name)

    def facts(self, convention: str = "product") -> dict:
        """The facts the hypotheses read; ``alpha`` in ``convention`` (the theorem's)."""
        bp = self.bp
        f = {"unique": bp.unique, "support_size": len(bp.support), "depth": self.D, "consistent": True,
             "M": bp.l1_norm, "S_complement": self.inst.N - len(bp.support), "rho": bp.rho_maximal_support,
             "alpha": mpf_from(self.alpha_in(convention))}
        if self.unique():
            from implicitreg.numerics.error_constants import alpha_zero_d2

            sc = self.sc
            f.update(rho=sc.rho, K2=sc.K2, n=sc.n, alpha_0=alpha_zero_d2(sc))
            if self.D > 2:
                f["rho_a"] = self.pc.rho_a
        return f


def _extra_hypotheses(theorem, bound):
    from implicitreg.theory import diagonal

    if theorem.name == "MS-D2" and bound.name == "upper_l1_apriori":
        return (diagonal.alpha_small,)
    return ()


def _decide(side, obs, b, digits):
    """Verdict of ``obs side b`` at ``digits`` certified digits of obs."""
    if side == "lower" and b <= 0:
        return "holds", "the bound is <= 0 here (trivial)"
    if abs(obs - b) <= abs(b) * mpf(10) ** (-(digits - 1)):
        return "undecided", f"observed and bound agree to the {digits} certified digits"
    ok = obs < b if side == "upper" else obs > b
    return ("holds" if ok else "violated"), ""


def _bound_task(content, row):
    th, b = _lookup(content["statement"])
    row.update(theorem=th.name, bound_name=b.name, side=b.side, provenance=b.provenance.kind, lhs=b.lhs)
    conv = convention_of(th.name)
    ctx_kind = context_of(content["statement"])
    if b.side == "rate":
        return _fit_task(content, row, th, b)
    if ctx_kind == "kink":
        return _kink_bound_task(content, row, th, b)
    alpha = _frac(content["alpha"])
    ctx = _Diagonal(content, alpha)
    what = OBSERVABLES["diagonal"][b.lhs]
    needs_unique = what not in ("objective_gap",)
    if needs_unique and not ctx.unique():
        reason = "x* not unique" if ctx.bp.support else "x* = 0"
        rho = ctx.bp.rho_maximal_support
        return dict(row, verdict="inapplicable", reason=reason, rho=_dec(rho, 0), rho_f=_float(rho))
    facts = ctx.facts(conv)
    row.update(rho=_dec(facts["rho"], 0), rho_f=_float(facts["rho"]))
    # the theorem's hypotheses and the bound's own (WAH-C objective_2: alpha < 1), then the sweep's extra ones
    failed = th.failed_hypotheses(facts, b) + [m for h in _extra_hypotheses(th, b) if (m := h.failure(facts))]
    if failed:
        return dict(row, verdict="inapplicable", reason="; ".join(failed))
    obs, d = ctx.observe(what)
    lim = ctx.limit()
    values = {s.name: ctx.quantity(s.name, conv) for s in b.symbols}
    with mpmath.workdps(lim.dps):
        bound = b.evaluate(content["digits"] + 10, **values)
        ratio = obs / bound if bound != 0 else mpmath.inf
    if b.side == "limit":
        verdict, reason = "measured", "ratio observed / limit"
    else:
        verdict, reason = _decide(b.side, obs, bound, d)
    row.update(observed=_dec(obs, d), observed_digits=d, bound=_dec(bound, content["digits"]), ratio=_dec(ratio, d),
               observed_f=_float(obs), bound_f=_float(bound), ratio_f=_float(ratio), verdict=verdict, reason=reason,
               alpha_product_f=_float(lim.alpha_product),
               extra=json.dumps({k: _dec(v, 12) if not isinstance(v, (int, Fraction)) else _dec(Fraction(v), 0)
                                 for k, v in values.items()}, sort_keys=True))
    if content["certificate"]:
        row["certificate"] = _certificate(content, ctx.inst, [alpha], th.name)
    return row


def _slope(xs, ys):
    from implicitreg.proofs.checks import loglog_slope

    return loglog_slope(xs, ys)


def _fit_task(content, row, th=None, b=None):
    """A rate fitted on the smallest half (at least 3) of the alphas."""
    from implicitreg.numerics.selection import selection_errors

    alphas = [_frac(a) for a in content["alphas"]]
    D = _frac(content["depth"])
    if th is None:  # fitted_rate: the rate of the theorem that applies at this depth
        th, b = _lookup("MS-D2:rate" if D == 2 else "MS-D3:rate")
        row.update(theorem=th.name, bound_name=b.name, side=b.side, provenance=b.provenance.kind, lhs=b.lhs)
    what = OBSERVABLES["diagonal"][b.lhs]
    ctx0 = _Diagonal(content, alphas[0])
    facts = None
    if what != "selected_distance":
        if not ctx0.unique():
            return dict(row, verdict="inapplicable", reason="x* not unique" if ctx0.bp.support else "x* = 0",
                        rho=_dec(ctx0.bp.rho_maximal_support, 0), rho_f=_float(ctx0.bp.rho_maximal_support))
    tail = max(3, len(alphas) // 2)
    fit = alphas[-tail:]
    ys, products, point_digits = [], [], []
    digits = content["digits"]
    if what == "selected_distance":
        se = selection_errors(ctx0.inst, D, fit, alpha_convention=content["alpha_convention"], bp=ctx0.bp.raw)
        products, ys = se.alpha_products, se.errors
        facts = ctx0.facts(convention_of(th.name))
    else:
        for a in fit:
            ctx = _Diagonal(content, a)
            ctx._bp, ctx._sc = ctx0.bp, ctx0.sc
            v, d = ctx.observe(what)
            ys.append(v)
            point_digits.append(d)
            products.append(ctx.limit().alpha_product)
            if a == fit[0]:
                facts = ctx.facts(convention_of(th.name))
    row.update(rho=_dec(facts["rho"], 0), rho_f=_float(facts["rho"]))
    failed = th.failed_hypotheses(facts, b)
    if failed:
        return dict(row, verdict="inapplicable", reason="; ".join(failed))
    if point_digits and min(point_digits) < MIN_FIT_DIGITS:
        k = min(range(len(fit)), key=lambda i: point_digits[i])
        return dict(row, verdict="undecided", alpha_product_f=_float(products[-1]),
                    reason=f"no rate: {b.lhs.split('/')[0].replace('log', '').strip()} is not resolved at alpha = "
                           f"{content['alphas'][len(alphas) - tail + k]} ({point_digits[k]} certified digits; "
                           f"x_inf equals x* to the accuracy of the limit)",
                    extra=json.dumps({"alpha_products": [_dec(v, 8) for v in products],
                                      "observed": [_dec(v, 10) for v in ys], "observed_digits": point_digits}))
    with mpmath.workdps(max(digits, 30)):
        slope = _slope(list(products), list(ys))
        if b.lhs.startswith("log"):
            values = {s.name: ctx0.quantity(s.name, "product") for s in b.symbols}
            predicted = b.evaluate(digits, **values)
        else:  # the bound is the order alpha^k of the quantity: its exponent in the product scale
            from implicitreg.theory.selection import product_exponent

            import sympy

            from implicitreg.theory.statement import p as p_symbol

            expo = product_exponent(b.expr, p_symbol)

            subs = {s: sympy.Rational(D.numerator, D.denominator) if s.name in ("p", "D") else
                    sympy.Rational(facts["rho"].numerator, facts["rho"].denominator) for s in expo.free_symbols}
            predicted = mpf(sympy.N(expo.subs(subs), digits))
        tol = mpf_from(SLOPE_TOL)
        ok = abs(slope - predicted) <= tol
    row.update(observed=_dec(slope, 6), observed_digits=6, bound=_dec(predicted, digits),
               ratio=_dec(slope - predicted, 4), observed_f=_float(slope), bound_f=_float(predicted),
               ratio_f=_float(slope - predicted), verdict="consistent" if ok else "inconsistent",
               reason=f"least-squares slope on alphas {content['alphas'][-tail]}..{content['alphas'][-1]}; "
                      f"ratio column = slope - predicted; tolerance {float(SLOPE_TOL)}",
               alpha_product_f=_float(products[-1]),
               extra=json.dumps({"alpha_products": [_dec(v, 8) for v in products],
                                 "observed": [_dec(v, 10) for v in ys], "observed_digits": point_digits}))
    return row


# ---- the kink ------------------------------------------------------------------------------------------------------

def _kink_error(content):
    """(error, certified digits, KinkLimit) on the kink: the root solved at two precisions must agree."""
    from implicitreg.numerics.kink import kink_limit
    from implicitreg.numerics.precision import agreeing_digits

    eps = _frac(content["instance"]["eps"])
    D = _frac(content["depth"])
    alpha = _frac(content["alpha"])
    digits = content["digits"]
    lo = kink_limit(eps, D, alpha, alpha_convention=content["alpha_convention"], dps=digits + 10)
    hi = kink_limit(eps, D, alpha, alpha_convention=content["alpha_convention"], dps=2 * digits + 20)
    with mpmath.workdps(2 * digits + 20):
        d = agreeing_digits([lo.error], [hi.error], 0, cap=digits)
    return hi.error, min(d, digits), hi


def _kink_bound_task(content, row, th, b):
    eps = _frac(content["instance"]["eps"])
    err, d, lim = _kink_error(content)
    D = lim.depth
    facts = {"depth": D, "eps": eps}
    failed = th.failed_hypotheses(facts)
    row.update(eps_f=_float(eps), alpha_product_f=_float(lim.alpha_product))
    if failed:
        return dict(row, verdict="inapplicable", reason="; ".join(failed))
    conv = convention_of(th.name)
    with mpmath.workdps(content["digits"] + 20):
        a = _frac(content["alpha"]) if conv == content["alpha_convention"] else (
            lim.alpha_product if conv == "product" else lim.alpha_product ** (1 / mpf_from(D)))
        values = {"alpha": a, "epsilon": eps, "p": D, "D": D}
        obs = err / lim.alpha_product if b.lhs.endswith("alpha^p") else err
        bound = b.evaluate(content["digits"] + 10, **{s.name: values[s.name] for s in b.symbols})
        ratio = obs / bound
    verdict, reason = ("measured", "ratio observed / limit") if b.side == "limit" else _decide(b.side, obs, bound, d)
    row.update(observed=_dec(obs, d), observed_digits=d, bound=_dec(bound, content["digits"]),
               ratio=_dec(ratio, d), observed_f=_float(obs), bound_f=_float(bound), ratio_f=_float(ratio),
               verdict=verdict, reason=reason)
    if content["certificate"]:
        from implicitreg.numerics.kink import kink_instance

        row["certificate"] = _certificate(content, kink_instance(eps), [_frac(content["alpha"])], "kink")
    return row


def _kink_error_task(content, row):
    from implicitreg.numerics.kink import collapse_profile, transition_scale

    eps = _frac(content["instance"]["eps"])
    err, d, lim = _kink_error(content)
    with mpmath.workdps(content["digits"] + 10):
        es = transition_scale(lim.depth, _frac(content["alpha"]), alpha_convention=content["alpha_convention"])
        e = mpf_from(eps) / es
        prof = collapse_profile(lim.depth, e)
        ratio = err / prof
    row.update(theorem="WAH-kink-transition", bound_name="collapse_profile", side="limit", provenance="derived",
               lhs="||x_inf - x*||_2", observed=_dec(err, d), observed_digits=d,
               bound=_dec(prof, content["digits"]), ratio=_dec(ratio, d), observed_f=_float(err),
               bound_f=_float(prof), ratio_f=_float(ratio), verdict="measured",
               reason="bound column = collapse profile at eps/eps*(alpha) (the alpha -> 0 scaling limit)",
               eps_f=_float(eps), alpha_product_f=_float(lim.alpha_product),
               extra=json.dumps({"eps_star": _dec(es, 12), "eps_over_eps_star": _dec(e, 12)}))
    if content["certificate"]:
        from implicitreg.numerics.kink import kink_instance

        row["certificate"] = _certificate(content, kink_instance(eps), [_frac(content["alpha"])], "kink")
    return row


def _selected_distance_task(content, row):
    from implicitreg.numerics.selection import selection_errors

    ctx = _Diagonal(content, _frac(content["alpha"]))
    se = selection_errors(ctx.inst, ctx.D, [ctx.alpha], alpha_convention=ctx.conv, bp=ctx.bp.raw)
    v = se.errors[0]
    d = min(10, content["digits"])  # selection_errors resolves the distance to ~10 significant digits
    row.update(theorem="WAH-D", bound_name="limit", side="limit", provenance="derived",
               lhs="||x_inf - x_g||_2", observed=_dec(v, d), observed_digits=d, observed_f=_float(v),
               verdict="measured", reason=f"x_g(p) {'= x* (BP unique)' if ctx.bp.unique else 'on the BP face'}",
               rho=_dec(ctx.bp.rho_maximal_support, 0), rho_f=_float(ctx.bp.rho_maximal_support), alpha_product_f=_float(se.alpha_products[0]),
               extra=json.dumps({"face_dimension": se.selection.face_dimension}))
    return row


def _certificate(content, instance, alphas, theorem):
    """A sealed tightness certificate (JSON text) for the task (:func:`implicitreg.certify`), or a JSON object with
    the reason it has none."""
    from implicitreg import certify
    from implicitreg.errors import ImplicitRegError
    from implicitreg.proofs.certify import dumps

    if theorem not in ("MS-D2", "MS-D3", "kink"):
        return json.dumps({"none": f"no certificate kind for {theorem}"})
    try:
        written = certify(instance, theorem=theorem, depth=_frac(content["depth"]), alphas=alphas,
                          alpha_convention=content["alpha_convention"])
    except ImplicitRegError as exc:
        return json.dumps({"none": " ".join(str(exc).split())})
    return dumps(written.certificate)


# ---- the task ------------------------------------------------------------------------------------------------------

#: the columns every row has (sweep_store.SCHEMA gives their types)
def blank_row(content: dict, key: str) -> dict:
    from implicitreg import __version__

    inst = content["instance"]
    return {
        "task_key": key, "spec": content["spec"], "family": content["family"], "instance": content["label"],
        "seed": content["seed"], "m": len(inst["A"]), "N": len(inst["A"][0]),
        "A": json.dumps(inst["A"]), "y": json.dumps(inst["y"]), "eps": inst.get("eps"),
        "depth": content["depth"], "alpha": content.get("alpha"),
        "alphas": json.dumps(content["alphas"]) if "alphas" in content else None,
        "alpha_convention": content["alpha_convention"], "statement": content["statement"],
        "theorem": None, "bound_name": None, "side": None, "provenance": None, "lhs": None,
        "digits_requested": content["digits"], "observed": None, "observed_digits": None, "bound": None,
        "ratio": None, "observed_f": None, "bound_f": None, "ratio_f": None, "rho": None, "rho_f": None,
        "alpha_f": _float(_frac(content["alpha"])) if "alpha" in content else None,
        "alpha_product_f": None, "eps_f": _float(_frac(inst["eps"])) if "eps" in inst else None,
        "verdict": None, "reason": "", "error": None, "extra": None, "certificate": None,
        "seconds": None, "worker": None, "version": __version__,
    }


def evaluate_task(content: dict, key: str) -> dict:
    """The result row of one task. Never raises for a failing computation: the row records the error."""
    with mpmath.workprec(53):  # the result must not depend on the caller's ambient mpmath precision
        return _evaluate_task(content, key)


def _evaluate_task(content: dict, key: str) -> dict:
    t0 = time.perf_counter()
    row = blank_row(content, key)
    try:
        name = content["statement"]
        if name == "kink_error":
            row = _kink_error_task(content, row)
        elif name == "selected_distance":
            row = _selected_distance_task(content, row)
        elif name == "fitted_rate":
            row = _fit_task(content, row)
        else:
            row = _bound_task(content, row)
    except Exception as exc:  # noqa: BLE001 - recorded in the row, never dropped (the sweep's contract)
        row = blank_row(content, key)
        row.update(verdict="error", error=f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:2000],
                   reason=traceback.format_exc(limit=3)[-2000:])
    row["seconds"] = time.perf_counter() - t0
    row["worker"] = _worker_name()
    return row


def warm() -> None:
    """Pay the one-time costs of a process before its first task: the imports, the theorem registry (SymPy
    statements) and the first evaluation of a bound and of a kink root. Results do not depend on it."""
    with mpmath.workprec(53):
        _theorems()
        inst = {"A": [["1", "1/2"]], "y": ["1"]}
        base = {"spec": "warm", "family": "random", "label": "warm", "seed": None, "instance": inst, "depth": "2",
                "alpha_convention": "product", "digits": 10, "certificate": False, "alpha": "1e-6"}
        _evaluate_task(dict(base, statement="MS-D2:upper_l1"), "warm")
        _evaluate_task(dict(base, family="kink", statement="kink_error", alpha_convention="factor",
                            instance={"A": [["1", "1/2"]], "y": ["1"], "eps": "1/2"}), "warm")


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        import os

        return f"local:{os.getpid()}"
