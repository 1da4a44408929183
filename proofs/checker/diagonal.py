"""Diagonal networks: a certificate's instance, LP proofs and bounds, and each alpha point (the Krawczyk box for the
dual solution, the enclosures of x_inf, of the errors and of every bound at that alpha).

The symbolic steps (the ``limit`` section, exact equality of a diagonal bound) are re-run by :mod:`.symbolic` with
SymPy; a step that cannot run is a failure, never a pass.
"""
from __future__ import annotations

from fractions import Fraction

from mpmath import iv

from . import lp, theorems
from .interval import (GUARD_DIGITS, CheckFailure, exact, exact_matrix, exact_vector, hi, iv_exp, iv_log, iv_sqrt, lo,
                       point, precision)
from .krawczyk import dual_potential, dual_potential_inverse, krawczyk, link
from .verdicts import _ball, _dps, _evaluate, _inside, _ratio, _verdict

#: the range of alpha (as given) a diagonal certificate may state
ALPHA_RANGE = (Fraction(1, 10 ** 300), Fraction(1))


def _alpha_product(alpha: Fraction, depth: Fraction, convention: str):
    """alpha_prod = u(0)^D: alpha itself (product convention) or alpha^D (factor convention)."""
    if convention == "product":
        return point(alpha)
    if depth.denominator == 1:
        return point(alpha ** depth.numerator)
    return iv_exp(point(depth) * iv_log(point(alpha)))


def _norm(vals, norm):
    if norm == "l1":
        return sum((abs(v) for v in vals), iv.mpf(0))
    if norm == "l2":
        return iv_sqrt(sum((v ** 2 for v in vals), iv.mpf(0)))
    mags = [abs(v) for v in vals]
    return iv.mpf([max(lo(v) for v in mags), max(hi(v) for v in mags)])


def _instance_constants(A, xs, support, rho, depth, N):
    """Constants a bound may name, all recomputed here from certified data (dln.md §3-4, theory/diagonal.py):
    rho, N, s, n = N - s, m, D, p, K1star = max_{i in S} |log|x*_i||, K2 = ||A_S^+ A_{S^c}||_{1->1}."""
    S = list(support)
    Sc = [j for j in range(N) if j not in S]
    env = {"rho": point(rho), "N": iv.mpf(N), "s": iv.mpf(len(S)), "n": iv.mpf(N - len(S)), "m": iv.mpf(len(A)),
           "D": point(depth), "p": point(depth)}
    # K1* = max_{i in S} |log |x*_i||,  K2 = ||A_S^+ A_{S^c}||_{1->1} (max column l1 norm), exactly.
    env["K1star"] = iv.mpf([max(lo(abs(iv_log(point(abs(xs[i]))))) for i in S),
                            max(hi(abs(iv_log(point(abs(xs[i]))))) for i in S)])
    AS = [[row[j] for j in S] for row in A]
    G = lp.matmul(lp.transpose(AS), AS)
    k2 = Fraction(0)
    for j in Sc:
        col = lp.solve_square(G, lp.rmatvec(AS, [row[j] for row in A]))
        k2 = max(k2, lp.norm1(col))
    env["K2"] = point(k2)
    env["_K2_exact"] = k2  # not a symbol name (the grammar's names start with a letter)
    return env


def _point_constants(env0, w, support, signs, ap, depth):
    """The a-posteriori constants of theory/diagonal.py at one alpha, from w = A^T nu on the Krawczyk box:
    K1 = ||w_S - sigma log(1/alpha)||_inf, eps = ||w_S - sigma||_inf, rho_a = rho + K2 eps,
    rho_minus = max(rho - K2 eps, 0), M0 = H_D^{-1}(n H_D(rho_a)) (D > 2, when rho_a < 1)."""
    def sup_norm(vals):
        mags = [abs(v) for v in vals]
        return iv.mpf([max(lo(v) for v in mags), max(hi(v) for v in mags)])

    Lg = -iv_log(ap)
    env = {"K1": sup_norm([w[i] - sg * Lg for i, sg in zip(support, signs)]),
           "eps": sup_norm([w[i] - sg for i, sg in zip(support, signs)])}
    env["rho_a"] = env0["rho"] + env0["K2"] * env["eps"]
    rm = env0["rho"] - env0["K2"] * env["eps"]
    env["rho_minus"] = iv.mpf([max(lo(rm), 0), max(hi(rm), 0)])
    if depth > 2 and hi(env["rho_a"]) < 1:
        env["M0"] = dual_potential_inverse(depth, env0["n"] * dual_potential(depth)(env["rho_a"]))
    return env


def _check_diagonal(cert: dict, out: list[str], use_sympy) -> None:
    inst = cert["instance"]
    A = exact_matrix(inst["A"], "instance.A")
    y = exact_vector(inst["y"], "instance.y", len(A))
    m, N = len(A), len(A[0])
    if m > N:
        raise CheckFailure("instance.A", "more rows than columns: the dual equations need full row rank")
    depth = exact(cert["depth"], "depth")
    if not 2 <= depth <= 64 or depth.denominator > 64:
        raise CheckFailure("depth", f"depth must be a rational in [2, 64] with denominator <= 64, got {depth}")
    table = theorems.diagonal_bounds(cert["theorem"]["name"], depth)
    convention = cert["alpha_convention"]
    out.append(f"instance: A is {m} x {N}, exact; depth D = {depth}; alpha convention {convention!r}")

    bp = cert["basis_pursuit"]
    xs = exact_vector(bp["x_star"], "basis_pursuit.x_star", N)
    out += lp.check_l1_optimal(A, y, xs, exact(bp["value"], "basis_pursuit.value"),
                               exact_vector(bp["lambda"], "basis_pursuit.lambda"), "basis_pursuit")
    rc = cert["rho"]
    support, signs = rc["support"], rc["signs"]
    rho = exact(rc["value"], "rho.value")
    out += lp.check_rho(A, xs, support, signs, rho, exact_vector(rc["lambda"], "rho.lambda"),
                        exact_vector(rc["v"], "rho.v"), "rho")

    bounds = []  # (name, side, norm, parsed formula)
    for b, spec in enumerate(cert["bounds"]):
        where = f"bounds[{b}]"
        if any(spec["name"] == other[0] for other in bounds):
            raise CheckFailure(where + ".name", f"the bound {spec['name']!r} is listed twice")
        tree = theorems.bind(spec["name"], spec["side"], spec["norm"], spec["expr"], table, where)
        bounds.append((spec["name"], spec["side"], spec["norm"], tree))
    out.append("bounds: " + "; ".join(f"{nm} ({side}, {norm}) is the formula of {cert['theorem']['name']}"
                                      for nm, side, norm, _ in bounds))

    with precision(_dps(cert) + GUARD_DIGITS):
        env0 = _instance_constants(A, xs, support, rho, depth, N)
        phi = link(depth)
        seen = set()
        for k, pt in enumerate(cert["points"]):
            alpha = _check_point(pt, f"points[{k}]", A, y, xs, support, signs, depth, convention, bounds, env0, phi,
                                 out, rho, use_sympy)
            if alpha in seen:
                raise CheckFailure(f"points[{k}].alpha", "the same alpha is listed twice")
            seen.add(alpha)
    if "limit" in cert:
        _check_limit(cert["limit"], A, y, xs, depth, convention, bounds, rho, out, use_sympy)


def _check_point(pt, where, A, y, xs, support, signs, depth, convention, bounds, env0, phi, out, rho=None,
                 use_sympy=None) -> Fraction:
    m, N = len(A), len(A[0])
    alpha = exact(pt["alpha"], where + ".alpha")
    if not ALPHA_RANGE[0] <= alpha <= ALPHA_RANGE[1]:
        raise CheckFailure(where + ".alpha", "alpha must lie in [1e-300, 1]")
    ap = _alpha_product(alpha, depth, convention)
    nu = pt["nu"]
    if len(nu) != m:
        raise CheckFailure(where + ".nu", f"expected {m} balls")
    centre, radius = [], []
    for i, ball in enumerate(nu):
        a, b = _ball(ball, f"{where}.nu[{i}]", nu=True)
        centre.append((a + b) / 2)
        radius.append((b - a) / 2)
    K = krawczyk(A, y, ap, depth, centre, radius, where + ".nu")
    # The unique zero lies in K(X); x_inf = alpha_prod phi_D(A^T nu) on it.
    z = [sum((point(A[i][j]) * K[i] for i in range(m)), iv.mpf(0)) for j in range(N)]
    try:
        x = [ap * phi(zj) for zj in z]
    except ArithmeticError as exc:
        raise CheckFailure(where + ".nu", f"x_inf cannot be enclosed on the box: {exc}") from None
    xb = pt["x_inf"]
    if len(xb) != N:
        raise CheckFailure(where + ".x_inf", f"expected {N} balls")
    for j in range(N):
        _inside(x[j], xb[j], f"{where}.x_inf[{j}]", f"x_inf[{j}]")
    diff = [xj - point(sj) for xj, sj in zip(x, xs)]
    errs = pt["errors"]
    needed = sorted({norm for _, _, norm, _ in bounds})
    if sorted(errs) != needed:
        extra = sorted(set(errs) - set(needed))
        raise CheckFailure(f"{where}.errors.{extra[0]}" if extra else f"{where}.errors",
                           f"the errors must be exactly the norms the bounds use: {needed}")
    err_iv = {}
    for nm in needed:
        err_iv[nm] = _norm(diff, nm)
        _inside(err_iv[nm], errs[nm], f"{where}.errors.{nm}", f"||x_inf - x*||_{nm[1:]}")
    env = dict(env0, alpha=point(alpha), alpha_product=ap)
    try:
        env.update(_point_constants(env0, z, support, signs, ap, depth))
    except ArithmeticError as exc:
        raise CheckFailure(where, f"the a-posteriori constants cannot be enclosed: {exc}") from None
    pb = pt["bounds"]
    verdicts = []
    if len(pb) != len(bounds):
        raise CheckFailure(where + ".bounds", f"expected {len(bounds)} entries (one per bound)")
    for b, (name, side, norm, tree) in enumerate(bounds):
        bw = f"{where}.bounds[{b}]"
        val = _evaluate(tree, env, phi, f"bounds[{b}].expr (at {where})")
        if not lo(val) > 0:
            raise CheckFailure(bw + ".value", "the bound is not provably positive")
        _inside(val, pb[b]["value"], bw + ".value", f"the bound {name!r}")
        clo, chi = _ratio(err_iv[norm] / val, pb[b]["ratio"], bw + ".ratio", "error/bound")
        equality = "equality" in pb[b]
        if equality:
            if side == "limit" or not clo <= 1 <= chi:
                raise CheckFailure(bw + ".equality", "an equality claim needs an upper/lower bound and a ratio "
                                                     "enclosure containing 1")
            sympy = _sympy_for(bw + ".equality", use_sympy)
            from .symbolic import prove_equality

            boxes = {"diff": diff, "w": z, "rho": env0["rho"], "K2": env0["K2"], "alpha_product": ap}
            prove_equality(sympy, A, xs, support, signs, depth, alpha, convention, rho, env0["_K2_exact"], norm,
                           tree, boxes, bw + ".equality")
        verdicts.append(f"{side} {norm}: [{pb[b]['ratio']['lo']}, {pb[b]['ratio']['hi']}]"
                        + _verdict(side, name, clo, chi, bw + ".ratio", equality))
    out.append(f"{where}: alpha = {pt['alpha']}: Krawczyk proves a unique dual solution in the nu box; x_inf, "
               f"errors and bound values enclosed; error/bound: " + "; ".join(verdicts))
    return alpha


def _sympy_for(where: str, use_sympy):
    """SymPy for a symbolic step, or CheckFailure: a step that cannot run is a failure, never a pass."""
    if use_sympy is False:
        raise CheckFailure(where, "the symbolic step was not re-checked (SymPy re-check skipped on request), "
                                  "so the certificate is not verified")
    try:
        import sympy
    except ImportError:
        raise CheckFailure(where, "SymPy is not importable, so the symbolic step cannot be re-checked and "
                                  "the certificate is not verified") from None
    return sympy


def _check_limit(limit, A, y, xs, depth, convention, bounds, rho, out, use_sympy) -> None:
    sympy = _sympy_for("limit", use_sympy)
    from .symbolic import recheck_limit

    out += recheck_limit(sympy, limit, A, y, xs, depth, convention, bounds, rho)
