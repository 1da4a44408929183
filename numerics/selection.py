"""Which l1 minimizer: the tie-break selection x_g(p) = argmin { G_p(x) : x in X_BP }, and the primal potentials.

``wah.md`` §4 (Thm D, [paper]: the selected minimizer depends on the depth; the functional g_p is the one in
the authors' code; the proof is [derived]). With y_i = sigma_i x_i > 0 on the maximal support S (x = 0 off S):

* p = 2:  g_2(y) = y log y - y                      (maximize entropy)
* p > 2:  g_p(y) = y - (p/2) y^(2/p)                (maximize sum y^(2/p))
* p = oo: g_oo(y) = -log y                          (the analytic centre, [derived] limit of (p/2)(y^(2/p) - 1))

Each is strictly convex on y > 0 with g'(0+) = -infinity, so the minimizer over the face is unique and lies in
its relative interior. We parameterize the face as x = point + sum_k c_k d_k (``Face.point``, ``Face.directions``
of :func:`implicitreg.numerics.basis_pursuit.l1_minimizer`) and run damped Newton in c, halving the step until it
stays strictly inside (y > 0) and decreases G_p. Digits are certified by solving at two precisions (dps and 2 dps).

Also here: the primal potential q_p in its Legendre form q_p(s) = s t - H_p(t), t = h_p^{-1}(s) [derived], the
regularizer Q_{p,alpha}(x) = sum_i alpha^p q_p(x_i / alpha^p) of Thm A, and the Lemma B remainder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence

import mpmath
from mpmath import mpf

from implicitreg.errors import ConvergenceError, InvalidParameterError, PrecisionError
from implicitreg.numerics.potentials import (alpha_convention_value, depth_value, digits_value, dual_potential,
                                              dual_potential_near_pole, link, link_inverse,
                                              link_inverse_pole_distance, positive_value, product_scale)
from implicitreg.numerics.precision import mpf_from

INFINITY = "inf"


def selection_depth(depth):
    """A depth for the selection: an exact Fraction >= 2, or ``"inf"`` (the analytic centre).

    Accepts ``"inf"``, ``"infinity"``, ``float('inf')``, ``mpmath.inf`` and ``sympy.oo`` for p = infinity.
    """
    if isinstance(depth, str) and depth.strip().lower() in ("inf", "infinity", "oo", "+inf"):
        return INFINITY
    if (isinstance(depth, float) and depth == float("inf")) or (isinstance(depth, mpf) and depth == mpmath.inf):
        return INFINITY
    if type(depth).__name__ == "Infinity":  # sympy.oo, without importing sympy here
        return INFINITY
    return depth_value(depth)


@dataclass(frozen=True)
class TieBreak:
    """g on y > 0 with its first two derivatives; ``name`` says which functional."""

    name: str
    value: Callable[[mpf], mpf]
    d1: Callable[[mpf], mpf]
    d2: Callable[[mpf], mpf]


def tie_break(depth, exponent=None) -> TieBreak:
    """The tie-break functional g_p on y = |x| > 0 (authors' code; p = oo [derived]).

    ``exponent`` overrides the power 2/p of the p > 2 family g(y) = y - y^e / e (e = 2/p gives g_p); it exists
    only so tests can build deliberately wrong functionals (e.g. e = 1/p) and see the selection change.
    """
    p = selection_depth(depth)
    if exponent is None and p == INFINITY:
        return TieBreak("analytic centre: -log y", lambda y: -mpmath.log(y), lambda y: -1 / y, lambda y: 1 / y ** 2)
    if exponent is None and p == 2:
        return TieBreak("entropy: y log y - y", lambda y: y * mpmath.log(y) - y, lambda y: mpmath.log(y),
                        lambda y: 1 / y)
    q = Fraction(2) / p if exponent is None else exponent
    if not isinstance(q, mpf):
        q = Fraction(q)
    if not 0 < q < 1:
        raise InvalidParameterError(f"the power of the tie-break functional must be in (0, 1), got {q}")
    # the power is converted at the precision of each call (never frozen at the precision of construction)
    E = (lambda: mpf_from(q)) if isinstance(q, Fraction) else (lambda: +q)
    return TieBreak(f"power: y - y^e/e, e = {q}", lambda y: y - y ** E() / E(), lambda y: 1 - y ** (E() - 1),
                    lambda y: (1 - E()) * y ** (E() - 2))


def tie_break_value(depth, x: Sequence) -> mpf:
    """G_p(x) = sum_{x_i != 0} g_p(|x_i|) (g_p(0) = 0 for finite p; the analytic centre sums over x_i != 0)."""
    g = tie_break(depth)
    return mpmath.fsum(g.value(abs(mpf_from(v))) for v in x if v != 0)


@dataclass
class SelectionResult:
    """x_g(p) on the face X_BP (like scipy's OptimizeResult).

    ``x`` (mpf, N entries), ``depth`` (Fraction or "inf"), ``unique_bp`` (X_BP is a point: then x = x*),
    ``support`` (maximal S, 0-based), ``face_dimension``, ``coordinates`` (c with x = point + sum c_k d_k),
    ``objective`` (G_p(x)), ``digits`` (certified: agreement at dps and 2 dps), ``iterations`` (Newton steps at
    the lower precision), ``functional`` (which g).
    """

    x: list
    depth: object
    unique_bp: bool
    support: tuple
    face_dimension: int
    coordinates: list = field(default_factory=list)
    objective: mpf | None = None
    digits: int = 0
    iterations: int = 0
    functional: str = ""

    def to_json(self, digits: int | None = None) -> dict:
        d = digits or max(self.digits, 1)
        return {"x": [mpmath.nstr(v, d, strip_zeros=False) if v != 0 else "0" for v in self.x],
                "depth": str(self.depth), "unique_bp": self.unique_bp, "support": list(self.support),
                "face_dimension": self.face_dimension, "digits": self.digits, "iterations": self.iterations,
                "functional": self.functional}


def damped_newton_on_face(c, ys: Callable, g: TieBreak, newton_step: Callable, move: Callable, *, dps: int,
                          max_iter: int, what: str):
    """The damped Newton iteration of :func:`minimize_on_face` and :func:`refine_on_face` (one loop, two arithmetics).

    Minimizes G(y) = sum g(y_i) over y = ys(c) > 0. ``newton_step(y)`` returns (step, decrement) with decrement =
    -<step, grad>; ``move(c, step, s)`` returns c + s step. Stops when the decrement is below 10^(-2 dps + 10) or a
    step no longer changes y; the step s is halved until y is strictly positive and G decreases by 1e-4 s decrement
    (Armijo), or taken whole (pure Newton) once the decrement is below 10^(-dps/2), where G changes below the
    working precision. Runs in the caller's precision context; returns (c, y, iterations); ConvergenceError (naming
    ``what``) when no step is admissible or after ``max_iter`` steps.
    """
    def obj(y):
        return mpmath.fsum(g.value(v) for v in y)

    tol = mpf(10) ** (-2 * dps + 10)
    y = ys(c)
    f = obj(y)
    for it in range(1, max_iter + 1):
        step, decrement = newton_step(y)
        if decrement <= tol:
            break
        local = decrement < mpf(10) ** (-dps // 2)
        s = mpf(1)
        while True:
            cn = move(c, step, s)
            yn = ys(cn)
            if all(v > 0 for v in yn):
                fn = obj(yn)
                if local or fn <= f - mpf("1e-4") * s * decrement:
                    break
            s /= 2
            if s < mpf(2) ** (-4 * dps):
                raise ConvergenceError(f"{what}: no admissible step")
        moved = max(abs(a - b) for a, b in zip(yn, y))
        c, y, f = cn, yn, fn
        if moved == 0:
            break
    else:
        raise ConvergenceError(f"{what} did not converge in {max_iter} steps")
    return c, y, it


def minimize_on_face(point: Sequence, directions: Sequence[Sequence], depth, *, dps: int = 60,
                     functional: TieBreak | None = None, max_iter: int = 500) -> tuple[list, list, int]:
    """argmin sum_{i in S} g(sigma_i x_i) over x = point + D c with sigma x > 0 on S = supp(point).

    ``point`` must be a relative-interior point of the face (nonzero exactly on S; the directions vanish off S).
    Returns (x, c, iterations) as mpf lists at ``dps`` digits. Damped Newton: the step is halved until the new
    point is strictly inside (all sigma_i x_i > 0) and G decreases (Armijo, 1e-4); stops when the Newton
    decrement squared is below 10^(-2 dps + 10) or the step no longer changes x.
    """
    g = functional or tie_break(depth)
    with mpmath.workdps(dps):
        x0 = [mpf_from(v) for v in point]
        S = [i for i, v in enumerate(x0) if v != 0]
        sigma = {i: (1 if x0[i] > 0 else -1) for i in S}
        dirs = [[mpf_from(v) for v in d] for d in directions]
        k = len(dirs)
        if k == 0:
            return x0, [], 0
        for d in dirs:
            if any(d[i] != 0 for i in range(len(x0)) if i not in sigma):
                raise InvalidParameterError("face directions must vanish off the support of the point")
        c = [mpf(0)] * k

        def ys(cv):
            return [sigma[i] * (x0[i] + mpmath.fsum(cv[j] * dirs[j][i] for j in range(k))) for i in S]

        # in the y variables, dy/dc_j = sigma_i d_j[i]
        J = [[sigma[i] * dirs[j][i] for j in range(k)] for i in S]

        def newton_step(y):
            d1 = [g.d1(v) for v in y]
            d2 = [g.d2(v) for v in y]
            grad = mpmath.matrix([mpmath.fsum(J[r][j] * d1[r] for r in range(len(S))) for j in range(k)])
            Hm = mpmath.matrix(k, k)
            for a in range(k):
                for b in range(a, k):
                    Hm[a, b] = Hm[b, a] = mpmath.fsum(J[r][a] * J[r][b] * d2[r] for r in range(len(S)))
            step = mpmath.lu_solve(Hm, -grad)
            return step, -mpmath.fsum(step[j] * grad[j] for j in range(k))

        c, y, it = damped_newton_on_face(c, ys, g, newton_step,
                                         lambda cv, step, s: [a + s * b for a, b in zip(cv, step)],
                                         dps=dps, max_iter=max_iter, what="damped Newton on the face")
        x = [mpf(0)] * len(x0)
        for i, v in zip(S, y):
            x[i] = sigma[i] * v
        return x, list(c), it


FACE_FLOAT64_NEWTON = 60


def float64_face_start(point: Sequence, directions: Sequence[Sequence], functional: TieBreak) -> list[float]:
    """Coordinates c (floats) of a point near argmin sum_{i in S} g(sigma_i x_i) on x = point + D c, by damped
    Newton in float64 (g, g', g'' evaluated by the functional's own callables at 17 digits, rounded to float).

    Only a starting point for :func:`minimize_on_face` at the working precision: nothing here enters a certified
    digit. Returns [0, ...] (the given point) when float64 cannot make progress.
    """
    import numpy as np

    k = len(directions)
    S = [i for i, v in enumerate(point) if v != 0]
    if k == 0 or not S:
        return [0.0] * k
    sigma = np.array([1.0 if point[i] > 0 else -1.0 for i in S])
    y0 = sigma * np.array([float(point[i]) for i in S])
    Jm = sigma[:, None] * np.array([[float(d[i]) for d in directions] for i in S])
    scale = np.linalg.norm(Jm, axis=0)
    if not np.all(scale > 0) or not np.all(np.isfinite(Jm)) or not np.all(y0 > 0):
        return [0.0] * k
    Js = Jm / scale  # columns of unit length: c = cs / scale

    def evaluate(fn, y):
        with mpmath.workdps(17):
            return np.array([float(fn(mpf(float(v)))) for v in y])

    cs = np.zeros(k)
    y = y0.copy()
    f = float(np.sum(evaluate(functional.value, y)))
    for _ in range(FACE_FLOAT64_NEWTON):
        grad = Js.T @ evaluate(functional.d1, y)
        H = (Js * evaluate(functional.d2, y)[:, None]).T @ Js
        try:
            step = np.linalg.solve(H, -grad)
        except np.linalg.LinAlgError:
            break
        decrement = -float(step @ grad)
        if not np.isfinite(decrement) or decrement <= 1e-26 * (1 + abs(f)):
            break
        t = 1.0
        while t > 1e-12:
            yn = y0 + Js @ (cs + t * step)
            if np.all(yn > 0):
                fn = float(np.sum(evaluate(functional.value, yn)))
                if fn <= f - 1e-4 * t * decrement or decrement < 1e-20 * (1 + abs(f)):
                    break
            t /= 2
        else:
            break
        cs, y, f = cs + t * step, yn, fn
    return list(cs / scale)


def refine_on_face(point: Sequence, directions: Sequence[Sequence], functional: TieBreak, c0: Sequence, *,
                   dps: int, max_iter: int = 100) -> tuple[list, list, int]:
    """Newton for argmin sum_{i in S} g(sigma_i x_i) over x = point + D c, from c0, at ``dps`` digits.

    The same iteration as :func:`minimize_on_face` (Newton decrement stop at 10^(-2 dps + 10), halving until
    strictly inside and Armijo, pure Newton once the decrement is below 10^(-dps/2)), with the k x k Hessian
    J^T diag(g'') J, the gradient and y = y0 + J c formed as python-flint ``arb_mat`` products (midpoints at
    ``dps``) instead of mpmath sums; g, g', g'' are the functional's own callables at ``dps``. Used from a
    float64 start (:func:`float64_face_start`), where a few steps suffice. Returns (x, c, iterations), mpf.
    """
    import flint

    from implicitreg.numerics.precision import flint_precision, to_arb, arb_to_mpf

    g = functional
    k = len(directions)
    with mpmath.workdps(dps), flint_precision(dps):
        S = [i for i, v in enumerate(point) if v != 0]
        sigma = [1 if point[i] > 0 else -1 for i in S]
        q = lambda v: flint.arb(flint.fmpq(Fraction(v).numerator, Fraction(v).denominator)) \
            if isinstance(v, (int, Fraction)) else to_arb(mpf_from(v))
        y0 = flint.arb_mat(len(S), 1, [(s * q(point[i])).mid() for s, i in zip(sigma, S)])
        Jm = flint.arb_mat(len(S), k, [(s * q(d[i])).mid() for s, i in zip(sigma, S) for d in directions])
        JT = Jm.transpose()
        c = flint.arb_mat(k, 1, [to_arb(mpf(v)) for v in c0])

        def ys(cv):
            return [arb_to_mpf(v.mid()) for v in (y0 + Jm * cv).entries()]

        if not all(v > 0 for v in ys(c)):
            raise ConvergenceError("the start of the face refinement is not inside the face")

        def newton_step(y):
            d1 = [to_arb(g.d1(v)) for v in y]
            d2 = [to_arb(g.d2(v)) for v in y]
            grad = (JT * flint.arb_mat(len(S), 1, d1)).mid()
            scaled = flint.arb_mat(len(S), k, [(w * Jm[r, j]).mid() for r, w in enumerate(d2) for j in range(k)])
            H = (JT * scaled).mid()
            try:
                step = H.solve(-grad, algorithm="approx")
            except ZeroDivisionError:
                raise ConvergenceError("singular Hessian on the face") from None
            return step, arb_to_mpf(-sum((a * b for a, b in zip(step.entries(), grad.entries())), flint.arb(0)).mid())

        c, y, it = damped_newton_on_face(c, ys, g, newton_step, lambda cv, step, s: (cv + step * to_arb(s)).mid(),
                                         dps=dps, max_iter=max_iter, what="Newton on the face")
        x = [mpf(0)] * len(point)
        for s, i, v in zip(sigma, S, y):
            x[i] = s * v
        return x, [arb_to_mpf(v) for v in c.entries()], it


def _face_point(point, directions, c):
    """point + sum_j c_j d_j at the current mpmath precision (c exact binary or mpf)."""
    return [mpf_from(v) + mpmath.fsum(mpf(cj) * mpf_from(d[i]) for cj, d in zip(c, directions)) for i, v in enumerate(point)]


def _inside(point, x) -> bool:
    return all((v > 0) == (mpf_from(p) > 0) and v != 0 for p, v in zip(point, x) if p != 0)


def _round_coordinates(c, R: int):
    """c truncated toward zero to R significant digits of the vector (the grid 10^(e - R + 1), e = floor(log10
    max |c_j|))."""
    top = max((abs(v) for v in c), default=mpf(0))
    if not top:
        return list(c)
    step = mpf(10) ** (int(mpmath.floor(mpmath.log10(top))) - R + 1)
    return [mpmath.sign(v) * mpmath.floor(abs(v) / step) * step for v in c]


def _mixed_face_pair(point, directions, g: TieBreak, digits: int, dps1: int, dps2: int):
    """The two solves of the mixed path of :func:`select_on_face`: (x1, c1, iterations, x2, c2)."""
    c64 = float64_face_start(point, directions, g)
    with mpmath.workdps(dps1):
        if not _inside(point, _face_point(point, directions, c64)):
            c64 = [0.0] * len(directions)
    x1, c1, it = refine_on_face(point, directions, g, c64, dps=dps1)
    with mpmath.workdps(dps2):
        c_check = _round_coordinates(c1, max(digits // 2, 8))
        if not _inside(point, _face_point(point, directions, c_check)):
            c_check = [mpf(v) for v in c64]
    x2, c2, _ = refine_on_face(point, directions, g, c_check, dps=dps2)
    return x1, c1, it, x2, c2


def _agreement(x1, x2, dps1: int, dps2: int) -> int:
    """Digits on which x1 and x2 agree, relative to max |x2_i| (at most dps1)."""
    with mpmath.workdps(dps2):
        scale = max(abs(v) for v in x2) or mpf(1)
        err = max(abs(a - b) for a, b in zip(x1, x2)) / scale
        return dps1 if err == 0 else min(dps1, int(mpmath.floor(-mpmath.log10(err))))


def select_on_face(point, directions, depth, *, digits: int = 40, functional: TieBreak | None = None,
                   support=None, unique_bp: bool | None = None, method: str = "mixed") -> SelectionResult:
    """x_g(p) on the face point + span(directions), certified to ``digits`` digits by a dps vs 2 dps solve.

    ``method="mixed"`` (default): damped Newton in float64 (:func:`float64_face_start`) gives the start of the
    solve at dps = digits + 15; the check solve at 2 dps starts from that solve's coordinates truncated to
    max(digits // 2, 8) significant digits, so its agreement beyond them is its own work; both are
    :func:`refine_on_face` (Newton with Hessian, g and line search at their own precision, linear algebra in
    python-flint). If they do not agree to ``digits`` (or do not converge), the baseline decides.
    ``method="full"``: both solves are :func:`minimize_on_face` from ``point`` (the baseline, mpmath throughout).
    """
    digits_value(digits)
    if method not in ("mixed", "full"):
        raise InvalidParameterError(f"method must be 'mixed' or 'full', got {method!r}")
    p = selection_depth(depth)
    g = functional
    gfun = g or tie_break(p)
    dps1 = digits + 15
    dps2 = 2 * dps1
    for d in directions:  # checked here too: the float64 start must not run on an invalid face
        if any(mpf_from(d[i]) != 0 for i, v in enumerate(point) if v == 0):
            raise InvalidParameterError("face directions must vanish off the support of the point")
    mixed = method == "mixed" and bool(directions)
    if mixed:
        try:
            x1, c1, it, x2, coordinates = _mixed_face_pair(point, directions, gfun, digits, dps1, dps2)
            mixed = _agreement(x1, x2, dps1, dps2) >= digits
        except ConvergenceError:
            mixed = False
    if not mixed:  # the baseline decides: full-precision damped Newton from ``point``
        x1, c1, it = minimize_on_face(point, directions, p, dps=dps1, functional=g)
        x2, coordinates, _ = minimize_on_face(point, directions, p, dps=dps2, functional=g)
    agree = _agreement(x1, x2, dps1, dps2)
    if agree < digits:
        raise PrecisionError(f"selection agrees to {agree} digits only at {dps1} vs {dps2} working digits")
    with mpmath.workdps(dps2):
        objective = mpmath.fsum(gfun.value(abs(v)) for v in x2 if v != 0)
    S = tuple(support) if support is not None else tuple(i for i, v in enumerate(point) if v != 0)
    return SelectionResult(x=x2, depth=p, unique_bp=(len(directions) == 0) if unique_bp is None else unique_bp,
                           support=S, face_dimension=len(directions), coordinates=coordinates,
                           objective=objective, digits=agree, iterations=it, functional=gfun.name)


def selected_minimizer(instance, depth, *, digits: int = 40, bp=None, functional: TieBreak | None = None
                       ) -> SelectionResult:
    """x_g(p) = argmin { G_p(x) : x in X_BP } for real p >= 2 or p = ``"inf"`` (analytic centre).

    The face comes from :func:`implicitreg.numerics.basis_pursuit.l1_minimizer` (pass ``bp`` to reuse one):
    relative-interior point and an exact basis of ker A_S. When BP is unique, x_g = x* (exact).
    """
    digits_value(digits)  # checked here too: the unique path below claims them as given
    p = selection_depth(depth)
    if bp is None:
        from implicitreg.numerics.basis_pursuit import l1_minimizer

        bp = l1_minimizer(instance)
    face = bp.face
    if bp.unique or face.dimension == 0:
        with mpmath.workdps(digits + 15):
            x = [mpf_from(Fraction(v)) for v in bp.x]
        return SelectionResult(x=x, depth=p, unique_bp=True, support=tuple(bp.support), face_dimension=0,
                               digits=digits, functional=(functional or tie_break(p)).name)
    return select_on_face(face.point, face.directions, p, digits=digits, functional=functional,
                          support=tuple(bp.support), unique_bp=False)


# --- primal potential, regularizer, Lemma B remainder ------------------------------------------------------

def primal_potential(depth, s) -> mpf:
    """q_p(s) = s t - H_p(t), t = h_p^{-1}(s) (Legendre form, [derived]); q_p(s) = integral_0^s h_p^{-1}.

    Near the pole (p > 2, |s| > h_p(1/2)) on w = 1 - t at full relative precision (q_p is even):
    q_p(s) = |s| (1 - w) - H_p(1 - w), so t rounding to 1 at large |s| loses nothing (and raises nothing)."""
    D = depth_value(depth)
    s = mpf(s)
    if D != 2 and abs(s) > link(D, mpf(1) / 2):
        w = link_inverse_pole_distance(D, abs(s))
        return abs(s) * (1 - w) - dual_potential_near_pole(D, w)
    t = link_inverse(D, s)
    return s * t - dual_potential(D, t)


def regularizer(depth, x: Sequence, alpha, *, alpha_convention: str = "factor") -> mpf:
    """Q_{p,alpha}(x) = sum_i a q_p(x_i / a), a = alpha^p the product scale (Thm A's regularizer).

    ``alpha_convention="factor"`` (wah.md: u(0) = alpha, a = alpha^p) or ``"product"`` (a = alpha).
    """
    D = depth_value(depth)
    alpha_convention_value(alpha_convention)
    a = product_scale(positive_value(alpha), D, alpha_convention)
    return mpmath.fsum(a * primal_potential(D, mpf_from(v) / a) for v in x)


def expansion_remainder(depth, x, alpha, *, alpha_convention: str = "factor", C=None) -> mpf:
    """The Lemma B remainder a q_p(x/a) - approx(x) (a = product scale), in [0, C_p a] by Lemma B.

    approx = |x| log(1/a) + |x| log|x| - |x| (p = 2), |x| - (p/2) a^((p-2)/p) |x|^(2/p) (p > 2).
    """
    D = depth_value(depth)
    a = product_scale(positive_value(alpha), D, alpha_convention_value(alpha_convention))
    xv = abs(mpf_from(x))
    q = a * primal_potential(D, xv / a)
    if D == 2:
        approx = xv * mpmath.log(1 / a) + (xv * mpmath.log(xv) - xv if xv else 0)
    else:
        pp = mpf_from(D)
        approx = xv - pp / 2 * mpmath.power(a, (pp - 2) / pp) * mpmath.power(xv, 2 / pp)
    return q - approx


@dataclass
class SelectionErrors:
    """||x_oo(alpha) - x_g(p)||_2 along a list of alphas (the Thm E measurement).

    ``alphas`` as given, ``alpha_products`` (mpf), ``errors`` (mpf), ``selection`` (the SelectionResult),
    ``limits`` (the engine's LimitResult objects), ``alpha_convention``.
    """

    alphas: list
    alpha_products: list
    errors: list
    selection: SelectionResult
    limits: list
    alpha_convention: str


def selection_errors(instance, depth, alphas: Sequence, *, alpha_convention: str = "product", bp=None,
                     functional: TieBreak | None = None) -> SelectionErrors:
    """Distances from the gradient-flow limit (:func:`implicitreg.numerics.dual_limit.gradient_flow_limit`) to
    x_g(p), resolved to ~10 significant digits: both sides are computed to k log10(1/alpha_prod) + 15 digits,
    k = 2 for p = 2 (errors down to alpha_prod^2), k = 1 for p > 2."""
    from implicitreg.numerics.dual_limit import gradient_flow_limit

    D = depth_value(depth)
    alpha_convention_value(alpha_convention)
    with mpmath.workdps(30):
        products = [product_scale(positive_value(a), D, alpha_convention) for a in alphas]
        # the error can be as small as a^2 (p = 2, S = all coordinates): resolve it to ~10 digits
        decades = int(max(-mpmath.log10(a) for a in products)) if products else 0
        need = (2 if D == 2 else 1) * decades + 15
    need = max(need, 20)
    sel = selected_minimizer(instance, D, digits=need, bp=bp, functional=functional)
    errors, limits = [], []
    for a in alphas:
        lim = gradient_flow_limit(instance, D, a, alpha_convention=alpha_convention, digits=need)
        with mpmath.workdps(need + 10):
            errors.append(mpmath.sqrt(mpmath.fsum((u - v) ** 2 for u, v in zip(lim.x, sel.x))))
        limits.append(lim)
    return SelectionErrors(list(alphas), products, errors, sel, limits, alpha_convention)


def kkt_residual(instance, x: Sequence, depth, alpha, *, alpha_convention: str = "product") -> mpf:
    """Thm A's first-order condition, by numerical differentiation of Q_{p,alpha} (Legendre form):
    max over an exact basis d of ker A of |d/ds Q(x + s d)| at s = 0, relative to sum_i |d_i h_p^{-1}(x_i/a)|."""
    from implicitreg.numerics.exact import nullspace

    D = depth_value(depth)
    a = product_scale(positive_value(alpha), D, alpha_convention_value(alpha_convention))
    worst = mpf(0)
    for d in nullspace([list(r) for r in instance.A]):
        dm = [mpf_from(v) for v in d]
        f = lambda s: mpmath.fsum(a * primal_potential(D, (xi + s * di) / a) for xi, di in zip(x, dm))
        deriv = mpmath.diff(f, 0)
        scale = mpmath.fsum(abs(di * link_inverse(D, xi / a)) for xi, di in zip(x, dm)) or mpf(1)
        worst = max(worst, abs(deriv) / scale)
    return worst
