"""Checks of our derived facts about the sharpness of deep linear networks (``theory/sharpness.py``).

Notation: r_k = ||u_k||^2 with u_k^T = h^T W_L ... W_{k+1} (r_L = ||h||^2 = 1 without head), r_0 = ||w*||^2,
V_{k-1} = W_{k-1} ... W_1, M = sum_k r_k V_{k-1}^T V_{k-1}, Sigma = X^T X / n, z = Sigma^(1/2) w*; loss with no 1/2.

Proof steps and the check of each (every function returns a :class:`DerivationCheck`):

1. H = J^T (2 Sigma) J at a global minimizer (the term sum_i g_i Hess(w_i) vanishes with g = Sigma (w - w*) = 0):
   :func:`check_hessian_symbolic` differentiates R twice in SymPy for a tiny network, exactly, and compares with
   2 J^T Sigma J at a rational minimizer (equal) and at a non-minimizer (different), and with
   ``numerics.deep_linear.hessian`` (an independent implementation).
2. MC-LB, test direction: for dW_k = c_k u_k u_{k-1}^T (u_0 = w*), J dW = (sum_k c_k r_k) w* because
   u_{k-1}^T V_{k-1} = w*^T; ||dW||^2 = sum c_k^2 r_k r_{k-1}. :func:`check_test_direction` evaluates the actual
   Hessian quadratic form on this direction; :func:`check_cauchy_schwarz` proves in SymPy (Lagrange's identity)
   that the best c gives sum_k r_k / r_{k-1}, attained at c_k = 1 / r_{k-1}.
3. MC-LB, AM-GM with telescoping: prod_k r_k / r_{k-1} = r_L / r_0 (:func:`check_telescoping`, SymPy), so
   sum_k r_k / r_{k-1} >= L (r_L / r_0)^(1/L) = L ||w*||^(-2/L) ||h||^(2/L).
4. S_min: M >= r_1 I + (L-1) r_1^(-1/(L-1)) w* w*^T for every minimizer (V^T V >= w* w*^T / r_{k-1} by Cauchy-Schwarz,
   then AM-GM on prod_{k>=2} r_k / r_{k-1} = 1 / r_1); :func:`check_metric_domination` checks the Loewner inequality
   numerically on a given minimizer. The aligned minimizer attains it with equality: :func:`check_aligned_metric`
   computes M symbolically (SymPy) for L = 2..5.
5. Equality: for z = sqrt(mu) w*, the objective's top branch mu t + (L-1) mu ||w*||^2 t^(-1/(L-1)) is stationary at
   t = ||w*||^(2-2/L) with value L mu ||w*||^(2-2/L) = S_LB / 2, and is convex in log t
   (:func:`check_equality_point`); the other branches t lambda_j stay below iff lambda_j <= L mu.
6. Closed lower bound: lambda_max(t Sigma + c z z^T) >= t a' + c a ||w*||^2 (Rayleigh quotient at z / ||z||);
   minimizing over t gives L a'^(1/L) a^(1-1/L) ||w*||^(2-2/L) (:func:`check_closed_form_minimum`, SymPy).

7. Consequences of the conserved imbalances D_k = W_{k+1}^T W_{k+1} - W_k W_k^T (network without head, W_L a row):
   W_k W_k^T = W_{k+1}^T W_{k+1} - D_k, so by Weyl sigma_2(W_k)^2 <= sigma_2(W_{k+1})^2 + ||D_k|| <= sum_{j>=k} ||D_j||
   (sigma_2(W_L) = 0) and |sigma_1(W_k)^2 - sigma_1(W_{k+1})^2| <= ||D_k||; by Davis-Kahan (Yu-Wang-Samworth form)
   sin angle(top left sv of W_k, top right sv of W_{k+1}) <= 2 ||D_k|| / (sigma_1(W_{k+1})^2 - sigma_2(W_{k+1})^2).
   :func:`check_imbalance_consequences` checks them on the end point of a flow, with D_k taken at the start.

Not proved here (recorded honestly): AM-GM, Weyl and Davis-Kahan are used as known; steps 4 and 7 are checked
numerically (on sampled minimizers / flow end points), not symbolically.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy

from implicitreg.numerics import deep_linear as dl


@dataclass
class DerivationCheck:
    name: str
    passed: bool
    detail: str = ""


# --- symbolic steps -------------------------------------------------------------------------------------------


def check_cauchy_schwarz(depth: int) -> DerivationCheck:
    """max_c (sum c_k r_k)^2 / sum c_k^2 r_k r_{k-1} = sum r_k / r_{k-1}: Lagrange's identity shows the gap is a sum of
    squares, and c_k = 1 / r_{k-1} attains it."""
    r = sympy.symbols(f"r0:{depth + 1}", positive=True)
    c = sympy.symbols(f"c1:{depth + 1}", real=True)
    x = [c[k - 1] * sympy.sqrt(r[k] * r[k - 1]) for k in range(1, depth + 1)]
    y = [sympy.sqrt(r[k] / r[k - 1]) for k in range(1, depth + 1)]
    lhs = sum(xi ** 2 for xi in x) * sum(yi ** 2 for yi in y) - sum(xi * yi for xi, yi in zip(x, y)) ** 2
    squares = sum((x[i] * y[j] - x[j] * y[i]) ** 2 for i in range(depth) for j in range(i + 1, depth))
    identity = sympy.simplify(sympy.expand(lhs - squares)) == 0
    num = sum(c[k - 1] * r[k] for k in range(1, depth + 1)) ** 2
    den = sum(c[k - 1] ** 2 * r[k] * r[k - 1] for k in range(1, depth + 1))
    best = {c[k - 1]: 1 / r[k - 1] for k in range(1, depth + 1)}
    attained = sympy.simplify(num.subs(best) / den.subs(best) - sum(r[k] / r[k - 1] for k in range(1, depth + 1))) == 0
    # the quotient really is (sum c_k r_k)^2 / sum c_k^2 r_k r_{k-1} for x, y above
    consistent = sympy.simplify(sum(xi * yi for xi, yi in zip(x, y)) - sum(c[k - 1] * r[k] for k in range(1, depth + 1))) == 0
    return DerivationCheck(f"Cauchy-Schwarz over the test directions (L={depth})", identity and attained and consistent,
                           f"Lagrange identity: {identity}; c_k = 1/r_(k-1) attains: {attained}")


def check_telescoping(depth: int) -> DerivationCheck:
    """prod_{k=1}^L r_k / r_{k-1} = r_L / r_0, and with r_L = 1, r_0 = ||w*||^2: L (r_L/r_0)^(1/L) = L ||w*||^(-2/L)."""
    r = sympy.symbols(f"r0:{depth + 1}", positive=True)
    wn = sympy.Symbol("w_norm", positive=True)
    prod = sympy.prod([r[k] / r[k - 1] for k in range(1, depth + 1)])
    tele = sympy.simplify(prod - r[depth] / r[0]) == 0
    amgm = sympy.simplify((depth * (prod ** sympy.Rational(1, depth))).subs({r[depth]: 1, r[0]: wn ** 2})
                          - depth * wn ** sympy.Rational(-2, depth)) == 0
    return DerivationCheck(f"telescoping product (L={depth})", tele and amgm, f"product: {tele}; AM-GM value: {amgm}")


def _symbolic_aligned_metric(depth: int, t, w):
    """M of the aligned minimizer (widths 2, v_k = e_1), built from the layers in SymPy."""
    d = len(w)
    wn = sympy.sqrt(sum(wi ** 2 for wi in w))
    e = sympy.Matrix([1, 0])
    what = sympy.Matrix(w) / wn
    Ws = [(wn / sympy.sqrt(t)) * e * what.T]
    c = t ** sympy.Rational(1, 2 * (depth - 1))
    for k in range(2, depth):
        Ws.append(c * e * e.T)
    Ws.append(c * sympy.Matrix([[1]]) * e.T)
    V = [sympy.eye(d)]
    for W in Ws:
        V.append(W * V[-1])
    u = [None] * (depth + 1)
    u[depth] = sympy.Matrix([1])
    for k in range(depth, 0, -1):
        u[k - 1] = Ws[k - 1].T * u[k]
    M = sympy.zeros(d, d)
    for k in range(1, depth + 1):
        M += (u[k].T * u[k])[0, 0] * V[k - 1].T * V[k - 1]
    return M, u[0]


def check_aligned_metric(depth: int) -> DerivationCheck:
    """The aligned minimizer at t has end-to-end vector w* and M = t I + (L-1) t^(-1/(L-1)) w* w*^T (SymPy, d = 2)."""
    t = sympy.Symbol("t", positive=True)
    w = sympy.symbols("w1 w2", positive=True)
    M, w_end = _symbolic_aligned_metric(depth, t, w)
    W = sympy.Matrix(w)
    target = t * sympy.eye(2) + (depth - 1) * t ** (-sympy.Rational(1, depth - 1)) * W * W.T
    ok_M = sympy.simplify(M - target) == sympy.zeros(2, 2)
    ok_w = sympy.simplify(w_end - W) == sympy.zeros(2, 1)
    return DerivationCheck(f"aligned minimizer metric (L={depth})", ok_M and ok_w,
                           f"M formula: {ok_M}; product = w*: {ok_w}")


def check_equality_point() -> DerivationCheck:
    """phi(t) = mu t + (L-1) mu ||w||^2 t^(-1/(L-1)): phi'(||w||^(2-2/L)) = 0, phi there = L mu ||w||^(2-2/L),
    and d^2 phi / d(log t)^2 > 0 (convex in log t), with L a symbol."""
    t, mu, wn = sympy.symbols("t mu w_norm", positive=True)
    Ls = sympy.Symbol("L", positive=True)
    phi = mu * t + (Ls - 1) * mu * wn ** 2 * t ** (-1 / (Ls - 1))
    t0 = wn ** (2 - 2 / Ls)
    stationary = sympy.simplify(sympy.diff(phi, t).subs(t, t0)) == 0
    value = sympy.simplify(sympy.powsimp(phi.subs(t, t0) - Ls * mu * wn ** (2 - 2 / Ls), force=True)) == 0
    s = sympy.Symbol("s", real=True)
    phis = phi.subs(t, sympy.exp(s))
    second = sympy.simplify(sympy.diff(phis, s, 2))
    # second = mu e^s + mu ||w||^2 e^(-s/(L-1)) / (L-1) > 0 for L > 1
    expected = mu * sympy.exp(s) + mu * wn ** 2 * sympy.exp(-s / (Ls - 1)) / (Ls - 1)
    convex = sympy.simplify(second - expected) == 0
    return DerivationCheck("equality point of the S_min objective", stationary and value and convex,
                           f"stationary: {stationary}; value L mu ||w||^(2-2/L): {value}; convex in log t: {convex}")


def check_closed_form_minimum() -> DerivationCheck:
    """min_t t a' + (L-1) a ||w||^2 t^(-1/(L-1)) = L a'^(1/L) a^(1-1/L) ||w||^(2-2/L), at t^(L/(L-1)) = a ||w||^2 / a'."""
    t, a, ap, wn = sympy.symbols("t a a_prime w_norm", positive=True)
    Ls = sympy.Symbol("L", positive=True)
    psi = t * ap + (Ls - 1) * a * wn ** 2 * t ** (-1 / (Ls - 1))
    t0 = (a * wn ** 2 / ap) ** ((Ls - 1) / Ls)
    stationary = sympy.simplify(sympy.powsimp(sympy.diff(psi, t).subs(t, t0), force=True)) == 0
    target = Ls * ap ** (1 / Ls) * a ** (1 - 1 / Ls) * wn ** (2 - 2 / Ls)
    diff = sympy.powsimp(sympy.expand_power_base(psi.subs(t, t0) - target, force=True), force=True)
    value = sympy.simplify(diff) == 0
    if not value:  # fall back on exact evaluation at a few rational points
        pts = [(2, 3, 5, 7), (3, 1, 2, 1), (5, 2, 7, 3)]
        value = all(sympy.N((psi.subs(t, t0) - target).subs({Ls: L_, a: a_, ap: ap_, wn: w_}), 50) == 0
                    or abs(sympy.N((psi.subs(t, t0) - target).subs({Ls: L_, a: a_, ap: ap_, wn: w_}), 50)) < 1e-45
                    for L_, a_, ap_, w_ in pts)
    return DerivationCheck("closed-form lower bound on S_min", stationary and value,
                           f"stationary: {stationary}; value: {value}")


def check_hessian_symbolic() -> DerivationCheck:
    """Exact Hessian of R for L = 2, widths (2, 1), d = 2, n = 3 by SymPy differentiation, against 2 J^T Sigma J
    at a rational minimizer (equal), at a non-minimizer (different), and against ``numerics.deep_linear.hessian``
    (independent implementation) at the non-minimizer to 40 digits."""
    X = sympy.Matrix([[1, 2], [0, 1], [3, -1]])
    y = sympy.Matrix([1, -2, sympy.Rational(1, 2)])
    n = X.rows
    th = sympy.symbols("a11 a12 a21 a22 b1 b2")
    W1 = sympy.Matrix([[th[0], th[1]], [th[2], th[3]]])
    W2 = sympy.Matrix([[th[4], th[5]]])
    w = (W2 * W1).T
    res = y - X * w
    R = (res.T * res)[0, 0] / n
    H = sympy.hessian(R, th)
    J = w.jacobian(th)
    Sigma = X.T * X / n
    w_star = (X.T * X).LUsolve(X.T * y)
    u1 = sympy.Matrix([2, -1])  # W2 = u1^T; W1 = u1 w*^T / |u1|^2 + (I - u1 u1^T/|u1|^2) G
    G = sympy.Matrix([[1, sympy.Rational(1, 3)], [-2, 1]])
    P = sympy.eye(2) - u1 * u1.T / (u1.T * u1)[0, 0]
    W1m = u1 * w_star.T / (u1.T * u1)[0, 0] + P * G
    at_min = dict(zip(th, list(W1m) + list(u1)))
    Hm = H.subs(at_min)
    Jm = J.subs(at_min)
    eq_min = sympy.simplify(Hm - 2 * Jm.T * Sigma * Jm) == sympy.zeros(6, 6)
    is_min = sympy.simplify(w.subs(at_min) - w_star) == sympy.zeros(2, 1)
    other = dict(zip(th, [1, 2, -1, sympy.Rational(1, 2), 3, -2]))
    Ho, Jo = H.subs(other), J.subs(other)
    differs = sympy.simplify(Ho - 2 * Jo.T * Sigma * Jo) != sympy.zeros(6, 6)
    data = dl.RegressionData.from_lists([[str(v) for v in row] for row in X.tolist()], [str(v) for v in y])
    with mpmath.workdps(50):
        W1o = dl.to_mp(np.array([[Fraction(1), Fraction(2)], [Fraction(-1), Fraction(1, 2)]], dtype=object))
        W2o = dl.to_mp(np.array([[Fraction(3), Fraction(-2)]], dtype=object))
        Hn = dl.hessian(dl.DeepLinearNetwork((W1o, W2o)), data)
        gap = max(abs(Hn[i, j] - mpmath.mpf(sympy.Rational(Ho[i, j]).p) / sympy.Rational(Ho[i, j]).q)
                  for i in range(6) for j in range(6))
        agrees = gap < mpmath.mpf(10) ** -40
    ok = eq_min and is_min and differs and agrees
    return DerivationCheck("Hessian = 2 J^T Sigma J at minimizers (SymPy, exact)", ok,
                           f"equal at minimizer: {eq_min} (is minimizer: {is_min}); differs elsewhere: {differs}; "
                           f"numerics.hessian gap {mpmath.nstr(gap, 3)}")


# --- numerical steps on given minimizers -----------------------------------------------------------------------


def mc_lb_direction(net: dl.DeepLinearNetwork, w_star: np.ndarray, c=None) -> np.ndarray:
    """theta of dW_k = c_k u_k u_{k-1}^T with u_0 = w* (default c_k = 1 / r_{k-1}: the optimal direction)."""
    u = dl._suffix_vectors(net)
    u = [w_star] + u[1:]
    L = net.depth
    if c is None:
        c = [1 / np.sum(u[k - 1] * u[k - 1]) for k in range(1, L + 1)]
    return np.concatenate([(c[k - 1] * np.multiply.outer(u[k], u[k - 1])).ravel() for k in range(1, L + 1)])


def check_test_direction(net: dl.DeepLinearNetwork, data: dl.RegressionData, dps: int = 40) -> DerivationCheck:
    """v^T H v / v^T v on the test direction (full Hessian) equals 2 w*^T Sigma w* sum_k r_k / r_{k-1} at a minimizer,
    and that is >= 2 L a ||w*||^(2-2/L) ||h||^(2/L)."""
    with mpmath.workdps(dps):
        net = net.as_mp() if not dl._is_mp(net.weights[0]) else net
        w = data.w_star("mp")
        S = data.sigma("mp")
        v = mc_lb_direction(net, w)
        H = dl.hessian(net, data)
        rq = np.sum(v * (H @ v)) / np.sum(v * v)
        u = dl._suffix_vectors(net)
        r = [np.sum(w * w)] + [np.sum(u[k] * u[k]) for k in range(1, net.depth + 1)]
        predicted = 2 * np.sum(w * (S @ w)) * mpmath.fsum(r[k] / r[k - 1] for k in range(1, net.depth + 1))
        L = net.depth
        a = np.sum(w * (S @ w)) / r[0]
        bound = 2 * L * a * r[0] ** (1 - mpmath.mpf(1) / L) * r[L] ** (mpmath.mpf(1) / L)
        gap = abs(rq - predicted) / predicted
        ok = gap < mpmath.mpf(10) ** (-dps + 8) and predicted >= bound * (1 - mpmath.mpf(10) ** (-dps + 8))
    return DerivationCheck("test-direction Rayleigh quotient", bool(ok),
                           f"relative gap {mpmath.nstr(gap, 3)}; quotient/bound {mpmath.nstr(predicted / bound, 8)}")


def check_metric_domination(net: dl.DeepLinearNetwork, w_star: np.ndarray, dps: int = 40) -> DerivationCheck:
    """lambda_min(M - r_1 I - (L-1) r_1^(-1/(L-1)) w* w*^T) >= 0 (up to 10^(-dps+8) relative) at a minimizer."""
    with mpmath.workdps(dps):
        net = net.as_mp() if not dl._is_mp(net.weights[0]) else net
        w = dl.to_mp(w_star)
        M = dl.end_to_end_metric(net)
        u = dl._suffix_vectors(net)
        r1 = np.sum(u[1] * u[1])
        L = net.depth
        lower = r1 * dl._eye(len(w), M) + (L - 1) * r1 ** (-mpmath.mpf(1) / (L - 1)) * np.multiply.outer(w, w)
        gap = dl.symmetric_eigenvalues(M - lower)[0]
        scale = dl.symmetric_eigenvalues(M)[-1]
        ok = gap >= -scale * mpmath.mpf(10) ** (-dps + 8)
    return DerivationCheck("M dominates the aligned metric at t = r_1", bool(ok),
                           f"lambda_min(M - aligned) = {mpmath.nstr(gap, 5)}")


def check_imbalance_consequences(net: dl.DeepLinearNetwork, net0: dl.DeepLinearNetwork,
                                 slack: float = 1e-6) -> DerivationCheck:
    """Step 7 on the end point ``net`` of a gradient flow started at ``net0`` (float64 SVDs, ``slack`` for the
    integrator's error; D_k(0) from ``net0``)."""
    Dn = [float(np.linalg.norm(dl.to_float(D) if dl._is_mp(D) else D, 2)) for D in dl.imbalances(net0)]
    al = dl.alignment(net, np.ones(net.input_dim))
    failures = []
    for k in range(net.depth - 1):  # layers 1..L-1 (W_L is a row)
        if al.sigma2[k] ** 2 > sum(Dn[k:]) + slack:
            failures.append(f"rank one at layer {k + 1}")
        if abs(al.sigma1[k] ** 2 - al.sigma1[k + 1] ** 2) > Dn[k] + slack:
            failures.append(f"top singular values at layers {k + 1}, {k + 2}")
        gap = al.sigma1[k + 1] ** 2 - al.sigma2[k + 1] ** 2
        if gap > 0 and al.interlayer_sin[k] > 2 * Dn[k] / gap + slack:
            failures.append(f"Davis-Kahan at layers {k + 1}, {k + 2}")
    return DerivationCheck("consequences of conserved imbalances", not failures, "; ".join(failures))


def symbolic_checks(depths=(2, 3, 4, 5)) -> list[DerivationCheck]:
    out = [check_hessian_symbolic(), check_equality_point(), check_closed_form_minimum()]
    for L in depths:
        out += [check_cauchy_schwarz(L), check_telescoping(L), check_aligned_metric(L)]
    return out
