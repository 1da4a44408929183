"""Verify implicitreg tightness certificates without trusting implicitreg, nor the file.

Usage (standalone, from the folder that holds ``checker/``)::

    python -m checker [--no-sympy] CERT.json [CERT.json ...]

Imports: the standard library and mpmath (``mpmath.iv`` interval arithmetic); SymPy (imported lazily) for the
symbolic limit steps. A certificate with a ``limit`` section *fails* when SymPy is missing or ``--no-sympy``
is given: a check that cannot run is never a pass. Exit status: 0 every file verified, 1 some certificate
failed, 2 some file could not be read as a certificate at all (size, encoding, JSON, limits) or bad usage.

Every file is assumed hostile (written by someone who knows the format and recomputes the hash):

* reading: :mod:`.jsonread` (size, UTF-8, nesting, literal lengths, duplicate keys) and :mod:`.schema` (one
  schema per kind: unknown, missing, mistyped or oversized fields are errors) run before any checking;
* expressions: parsed by :mod:`.grammar` (nothing is evaluated as code) and *bound* to the theorem's name by
  :mod:`.theorems` (the checker's own table of formulas, sides and norms);
* verdicts: an upper/lower bound is accepted only when the computed ratio enclosure decides it (or equality
  is proved exactly); box and ball widths above the stated maxima are refused;
* budgets: the limits bound the work by the file size, and a wall-clock deadline (:data:`TIME_LIMIT`
  seconds, when running in the main thread) turns anything slower into a clean refusal.

The format is described in ``docs/certificates.md``; in short:

* ``sha256``: SHA-256 of the canonical JSON of everything else (sorted keys, no spaces, ASCII);
* ``kind: "diagonal"``: instance (A, y exact), depth, alpha convention; exact zero-gap LP certificate
  of x*; exact primal/dual certificate of rho; per alpha a box for nu proved by the Krawczyk test to
  hold the unique solution of the dual equations, balls for x_inf and the error that must contain the
  enclosures recomputed here, each bound evaluated in interval arithmetic, and a ratio interval that
  must contain error / bound;
* ``kind: "deep-linear"``: X, y exact, L, w* (checked against the normal equations), an explicit exact
  minimizer (W_L ... W_1 = w*^T), its sharpness S = 2 lambda_max(M Sigma) enclosed by exact Sturm root
  isolation, S_LB = 2 L a ||w*||^(2-2/L) in interval arithmetic, and the ratio interval; on ordinary data (entries
  irrational) the enclosure form instead: the checker builds the balanced rank-one minimizer itself from w* and L,
  the certificate's balls (||w*||, ||w*||^(1/L), the factor entries, S, S_LB, S - S_LB) must contain the enclosures
  recomputed here, and the bound holds only when lo(S) - hi(S_LB) > 0 (or lambda_max = L a is proved exactly).
"""
from __future__ import annotations

import hashlib
import json
import math
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import mpmath
from mpmath import iv

from . import lp, schema, theorems
from .interval import (GUARD_DIGITS, CheckFailure, endpoints, exact, exact_matrix, exact_vector, hi, iv_exp, iv_log,
                       iv_sqrt, lo, point, precision, read_ball, require_inside)
from .jsonread import InputError, loads
from .krawczyk import dual_potential, dual_potential_inverse, krawczyk, link

FORMAT = "implicitreg-certificate/1"
PROVENANCE_KINDS = schema.PROVENANCE_KINDS
#: wall-clock budget of one certificate (seconds); enforced with SIGALRM in the main thread
TIME_LIMIT = 25.0
#: the widest Krawczyk box accepted: radius <= NU_MAX_RELATIVE_RADIUS * max(1, |centre|)
NU_MAX_RELATIVE_RADIUS = Fraction(1, 10 ** 20)
#: the widest stated ball (x_inf, errors, bound values, sharpness): radius <= BALL_MAX_RELATIVE_RADIUS * |mid|
BALL_MAX_RELATIVE_RADIUS = Fraction(1, 10 ** 10)
#: the widest stated ratio interval: hi - lo <= RATIO_MAX_RELATIVE_WIDTH * hi
RATIO_MAX_RELATIVE_WIDTH = Fraction(1, 10 ** 9)
#: the range of alpha (as given) a diagonal certificate may state
ALPHA_RANGE = (Fraction(1, 10 ** 300), Fraction(1))


class BudgetExceeded(BaseException):
    """Raised by the deadline timer (a BaseException, so no library ``except Exception`` can swallow it)."""


@contextmanager
def deadline(seconds: float):
    """Raise :class:`BudgetExceeded` after ``seconds`` of wall-clock time (main thread, POSIX); else no timer."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer") \
            or signal.getitimer(signal.ITIMER_REAL)[0] > 0:  # an outer deadline is already running: keep it
        yield
        return

    def fire(signum, frame):
        raise BudgetExceeded()

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def canonical_bytes(cert: dict) -> bytes:
    """Canonical JSON of the certificate without its ``sha256`` field (what the hash covers)."""
    body = {k: v for k, v in cert.items() if k != "sha256"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def content_hash(cert: dict) -> str:
    return hashlib.sha256(canonical_bytes(cert)).hexdigest()


@dataclass
class CheckReport:
    """What was verified in one certificate, or the first failing field."""

    source: str
    verified: list[str] = field(default_factory=list)
    failure: CheckFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def unreadable(self) -> bool:
        """The file is not a certificate at all (size, encoding, JSON syntax or limits)."""
        return isinstance(self.failure, InputError)


def _check_header(cert: dict, out: list[str]) -> None:
    out.append("content hash matches (sha256 of the canonical JSON)")
    theorem = cert["theorem"]
    prov = theorem["provenance"]
    out.append(f"theorem {theorem['name']} [{prov['kind']}] (provenance and text are stated, not checkable): "
               f"{theorem['claim']}")


def _dps(cert) -> int:
    return cert["tool"]["checker_dps"]  # an integer in [15, schema.MAX_DPS] (schema)


def _ball(obj, where: str, nu: bool = False) -> tuple[Fraction, Fraction]:
    """A ball's exact ends, refusing radii above the stated maxima (the width is the writer's choice)."""
    a, b = read_ball(obj, where)
    mid, rad = (a + b) / 2, (b - a) / 2
    if nu:
        if rad > NU_MAX_RELATIVE_RADIUS * max(1, abs(mid)):
            raise CheckFailure(where + ".rad", f"box radius above the maximum {NU_MAX_RELATIVE_RADIUS} * max(1, |mid|)")
    elif rad > BALL_MAX_RELATIVE_RADIUS * abs(mid):
        raise CheckFailure(where + ".rad", f"ball radius above the maximum {BALL_MAX_RELATIVE_RADIUS} * |mid|")
    return a, b


def _inside(computed, obj, where: str, what: str) -> None:
    _ball(obj, where)
    require_inside(computed, obj, where, what)


def _ratio(computed, r, where: str, what: str) -> tuple[Fraction, Fraction]:
    """The stated ratio interval must be positive, narrow and contain the computed enclosure; returns the latter."""
    rlo = exact(r["lo"], where + ".lo")
    rhi = exact(r["hi"], where + ".hi")
    if not rlo > 0:
        raise CheckFailure(where + ".lo", "a ratio claim needs a positive lower end")
    if rhi - rlo > RATIO_MAX_RELATIVE_WIDTH * rhi:
        raise CheckFailure(where, f"the stated interval is wider than {RATIO_MAX_RELATIVE_WIDTH} * hi")
    try:
        clo, chi = endpoints(computed)
    except ArithmeticError:
        raise CheckFailure(where, f"the computed enclosure of {what} is unbounded") from None
    if not (rlo <= clo and chi <= rhi):
        raise CheckFailure(where, f"the certified ratio {what} lies in [{mpmath.nstr(lo(computed), 15)}, "
                                  f"{mpmath.nstr(hi(computed), 15)}], not inside the stated [{r['lo']}, {r['hi']}]")
    return clo, chi


def _verdict(side: str, name: str, clo: Fraction, chi: Fraction, where: str, equality: bool = False) -> str:
    """Decided verdicts only: an upper bound needs ratio <= 1 for sure, a lower one ratio >= 1 for sure, unless
    equality (ratio = 1) is proved exactly; a ratio enclosure that straddles 1 proves nothing and is refused."""
    if side == "limit":
        return ""
    if equality:
        return " (attained: equality proved exactly)"
    if side == "upper" and chi <= 1 or side == "lower" and clo >= 1:
        return " (bound holds)"
    if side == "upper" and clo > 1 or side == "lower" and chi < 1:
        raise CheckFailure(where, f"the {side} bound {name!r} is violated here")
    raise CheckFailure(where, f"the ratio enclosure contains 1: the {side} bound {name!r} is not decided "
                              "(and equality is not proved)")


# --- diagonal networks -----------------------------------------------------------------------------

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


def _evaluate(tree, env, phi, where):
    from .grammar import GrammarError, free_symbols, to_interval

    missing = sorted(n for n in free_symbols(tree) if n not in env)
    if missing:
        raise CheckFailure(where, f"{missing[0]} is not defined here (M0 needs D > 2 and rho_a < 1)")
    try:
        return to_interval(tree, env, {"h": phi} if phi else None)
    except GrammarError as exc:
        raise CheckFailure(where, f"cannot evaluate: {exc}") from None
    except ArithmeticError as exc:
        raise CheckFailure(where, f"cannot evaluate: {exc}") from None


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


# --- deep linear networks ----------------------------------------------------------------------------

def _check_deep_linear(cert: dict, out: list[str]) -> None:
    inst = cert["instance"]
    X = exact_matrix(inst["X"], "instance.X")
    y = exact_vector(inst["y"], "instance.y", len(X))
    n, d = len(X), len(X[0])
    L = cert["L"]
    Sigma = [[v / n for v in row] for row in lp.matmul(lp.transpose(X), X)]
    if lp.rank(Sigma) != d:
        raise CheckFailure("instance.X", "Sigma = X^T X / n is singular; this checker needs a unique w*")
    w = exact_vector(cert["w_star"], "w_star", d)
    if lp.matvec(Sigma, w) != [v / n for v in lp.rmatvec(X, y)]:
        raise CheckFailure("w_star", "w* does not solve the normal equations X^T X w = X^T y")
    if not any(w):
        raise CheckFailure("w_star", "w* = 0: the bound is about nonzero minimizers")
    out.append(f"instance: X is {n} x {d}, exact; w* solves the normal equations and is unique (Sigma invertible)")
    if "balanced_minimizer" in cert:  # ordinary data, irrational factors: the enclosure form (schema chose it)
        _check_deep_balanced(cert, out, Sigma, w, n, d, L)
        return

    Ws = cert["minimizer"]
    if len(Ws) != L:
        raise CheckFailure("minimizer", f"expected L = {L} matrices W_1 .. W_L")
    W = [exact_matrix(Wk, f"minimizer[{k}]") for k, Wk in enumerate(Ws)]
    if len(W[0][0]) != d or len(W[-1]) != 1:
        raise CheckFailure("minimizer", "W_1 must have d columns and W_L one row")
    for k in range(1, L):
        if len(W[k][0]) != len(W[k - 1]):
            raise CheckFailure(f"minimizer[{k}]", "shapes do not chain")
    # V_k = W_k ... W_1 (V_0 = I) and u_k^T = W_L ... W_{k+1} (u_L = 1): prefix and suffix products, O(L) products.
    ident = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
    V = [ident]
    for k in range(L):
        V.append(lp.matmul(W[k], V[-1]))
    prod = V[L]  # W_L ... W_1, one row
    if len(prod) != 1 or prod[0] != w:
        raise CheckFailure("minimizer", "W_L ... W_1 != w*^T: not a global minimizer")
    out.append(f"minimizer: W_L ... W_1 = w*^T exactly, so R(W) = R_min (a global minimizer)")
    U = [None] * L  # U[k] = u_{k+1}^T = W_L ... W_{k+2} as a 1-row matrix (layer k+1 in 1-based terms)
    acc = [[Fraction(1)]]
    for k in range(L - 1, -1, -1):
        U[k] = acc
        acc = lp.matmul(acc, W[k])
    factors = [(U[k], V[k]) for k in range(L)]  # (u_k^T, V_{k-1}) for k = 1..L
    # M = sum_k ||u_k||^2 V_{k-1}^T V_{k-1} (deep_linear.md §1).
    M = [[Fraction(0)] * d for _ in range(d)]
    for u, Vk in factors:
        un = sum((c * c for c in u[0]), Fraction(0))
        VtV = lp.matmul(lp.transpose(Vk), Vk)
        M = [[M[i][j] + un * VtV[i][j] for j in range(d)] for i in range(d)]
    # The Hessian at a minimizer: R = (1/n)||y - X w||^2 has dR/dw = -(2/n) X^T (y - X w) = 0 at w = w* (normal
    # equations, checked above), so the chain rule leaves H = J^T (2 Sigma) J with J = dw/dtheta. Its nonzero
    # spectrum is that of 2 Sigma^(1/2) J J^T Sigma^(1/2); J J^T = M is checked exactly here (J from its definition:
    # d w / d W_k[a, b] = u_k[a] V_{k-1}[b, :]^T).
    JJt = [[Fraction(0)] * d for _ in range(d)]
    for k, (u, Vk) in enumerate(factors):
        for a in range(len(W[k])):
            for b in range(len(W[k][0])):
                col = [u[0][a] * Vk[b][i] for i in range(d)]
                for i in range(d):
                    for j in range(d):
                        JJt[i][j] += col[i] * col[j]
    if JJt != M:
        raise CheckFailure("minimizer", "internal: J J^T != M")  # pragma: no cover - an identity
    out.append("Hessian at the minimizer: the gradient term vanishes (normal equations) and J J^T = M exactly, "
               "so the nonzero spectrum of H is that of 2 Sigma^(1/2) M Sigma^(1/2)")
    # S = 2 lambda_max(Sigma^(1/2) M Sigma^(1/2)) = 2 lambda_max(M Sigma) (same nonzero spectrum).
    poly = lp.charpoly(lp.matmul(M, Sigma))
    top = max(abs(c) for c in poly)
    a_, b_ = lp.largest_root_interval(poly, top * Fraction(1, 10 ** 40))
    bound = cert["bound"]
    tree = theorems.bind(bound["name"], bound["side"], None, bound["expr"], {theorems.MC_LB[0]: (
        theorems.MC_LB[1], None, theorems.MC_LB[2])}, "bound")
    with precision(_dps(cert) + GUARD_DIGITS):
        S = iv.mpf([lo(point(2 * a_)), hi(point(2 * b_))])
        _inside(S, cert["sharpness"], "sharpness", "S = 2 lambda_max(M Sigma)")
        out.append("sharpness: S = 2 lambda_max(Sigma^(1/2) M Sigma^(1/2)) enclosed by exact Sturm root isolation")
        wn2 = sum((c * c for c in w), Fraction(0))
        a_ray = sum((w[i] * Sigma[i][j] * w[j] for i in range(d) for j in range(d)), Fraction(0)) / wn2
        env = {"L": iv.mpf(L), "a": point(a_ray), "w_norm": iv_sqrt(point(wn2)), "d": iv.mpf(d), "n": iv.mpf(n)}
        SLB = _evaluate(tree, env, None, "bound.expr")
        _inside(SLB, bound["value"], "bound.value", "S_LB")
        clo, chi = _ratio(S / SLB, cert["ratio"], "ratio", "S/S_LB")
        equality = False
        if "equality" in cert:
            _check_equality(cert["equality"], L, Sigma, w, wn2, a_ray, poly, SLB, out)
            if not clo <= 1 <= chi:
                raise CheckFailure("equality", "the ratio enclosure excludes 1 although S = S_LB is claimed")
            equality = True
        verdict = _verdict(bound["side"], bound["name"], clo, chi, "ratio", equality)
    out.append(f"ratio: S / S_LB in [{cert['ratio']['lo']}, {cert['ratio']['hi']}]{verdict}")


def _check_equality(eq, L, Sigma, w, wn2, a_ray, poly, SLB, out) -> None:
    """Exact proof of S = S_LB when S_LB is rational: (S_LB / (2 L a))^L = ||w*||^(2L-2), the stated S_LB lies in
    the enclosure of the bound's own formula, and S_LB/2 is the largest root of det(t I - M Sigma); plus the
    equality-family hypotheses (deep_linear.md §3)."""
    slb = exact(eq["S_LB"], "equality.S_LB")
    if slb <= 0 or (slb / (2 * L * a_ray)) ** L != wn2 ** (L - 1):
        raise CheckFailure("equality.S_LB", "is not 2 L a ||w*||^(2-2/L)")
    a, b = endpoints(SLB)
    if not a <= slb <= b:
        raise CheckFailure("equality.S_LB", "is not the value of the bound's formula")
    if lp.polyval(poly, slb / 2) != 0 or lp.count_roots_above(poly, slb / 2) != 0:
        raise CheckFailure("equality.S_LB", "S_LB / 2 is not the largest eigenvalue of M Sigma: S != S_LB")
    mu = _equality_family(Sigma, w, L)
    out.append(f"equality: S = S_LB = {eq['S_LB']} exactly; w* is an eigenvector of Sigma (mu = {mu}) and "
               f"L mu >= lambda_max(Sigma)")


def _equality_family(Sigma, w, L) -> Fraction:
    """The equality-family hypotheses (deep_linear.md §4, MC-MIN): Sigma w* = mu w* and L mu >= lambda_max(Sigma)."""
    Sw = lp.matvec(Sigma, w)
    i0 = next(i for i in range(len(w)) if w[i] != 0)
    mu = Sw[i0] / w[i0]
    if Sw != [mu * c for c in w]:
        raise CheckFailure("equality", "w* is not an eigenvector of Sigma (equality-family hypothesis)")
    if lp.count_roots_above(lp.charpoly(Sigma), L * mu) != 0:
        raise CheckFailure("equality", "L mu < lambda_max(Sigma) (equality-family hypothesis)")
    return mu


# --- deep linear, enclosure form: ordinary data (||w*||^(1/L) irrational) ------------------------------------

def _balanced_skeleton(w, L):
    """The minimizer of ``schema.BALANCED_FORM`` as W_k = sigma_k R_k: exact R_k (W_1: w*^T, W_k: 1) and exact r_k
    with sigma_k^2 = t r_k, t = c^2 = ||w*||^(2/L) (r_1 = 1/||w*||^2, r_k = 1). Built here from w* and L; the
    certificate states only enclosures of its entries."""
    wn2 = sum((c * c for c in w), Fraction(0))
    R = [[list(w)]] + [[[Fraction(1)]] for _ in range(L - 1)]
    r = [1 / wn2] + [Fraction(1)] * (L - 1)
    return R, r


def _integer_poly(p) -> list[int]:
    """p (Fractions, highest degree first) times the lcm of its denominators: the same signs everywhere."""
    den = math.lcm(*(c.denominator for c in p))
    return [int(c * den) for c in p]


def _sign_at(Q: list[int], t: Fraction) -> int:
    """The sign of Q(t), t = a/b (b > 0), as the sign of the integer sum_i Q_i a^(n-i) b^i (no fractions)."""
    a, b = t.numerator, t.denominator
    n = len(Q) - 1
    value = sum(Qi * a ** (n - i) * b ** i for i, Qi in enumerate(Q))
    return (value > 0) - (value < 0)


def _changes(seq: list[list[int]], t: Fraction) -> int:
    signs = [v for v in (_sign_at(Q, t) for Q in seq) if v]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def _largest_root(poly, width: Fraction) -> tuple[Fraction, Fraction]:
    """An exact [a, b] with b - a <= width holding the largest real root of ``poly``.

    The search starts at the power of two 2^k >= 2 max_i |c_i / c_0|^(1/i) (Fujiwara's bound on every root), so its
    cost follows the roots, not the size of the coefficients; Sturm bisection isolates the largest root (exactly one
    distinct root in (a, b], none above b), then bisection on the sign of the square-free part alone refines it (its
    root there is simple: the sign of q(b) holds on (root, b], the other sign just below). All signs are evaluated
    in integers (``_sign_at``)."""
    sturm = lp.sturm_sequence(poly)
    seq = [_integer_poly(p) for p in sturm]
    q = sturm[0]
    k = 0
    for i, c in enumerate(q[1:], start=1):
        r = abs(c / q[0])
        if r:  # r < 2^(bits(num) - bits(den) + 1), so 2^(k i) >= r for this k
            k = max(k, -(-(r.numerator.bit_length() - r.denominator.bit_length() + 1) // i))
    big = Fraction(2) ** (k + 1)
    above = _changes(seq, big)
    lo_, hi_ = -big, big
    n_lo = _changes(seq, lo_)
    if n_lo - above == 0:
        raise CheckFailure("sharpness", "the characteristic polynomial has no real root")  # pragma: no cover
    while n_lo - above > 1:  # more than one root in (lo, hi]: isolate the largest
        mid = (lo_ + hi_) / 2
        n_mid = _changes(seq, mid)
        if n_mid - above > 0:
            lo_, n_lo = mid, n_mid
        else:
            hi_ = mid
    Q = seq[0]
    s_hi = _sign_at(Q, hi_)
    if s_hi == 0:
        return hi_, hi_
    while hi_ - lo_ > width:
        mid = (lo_ + hi_) / 2
        s_mid = _sign_at(Q, mid)
        if s_mid == 0:
            return mid, mid
        if s_mid == s_hi:
            hi_ = mid
        else:
            lo_ = mid
    return lo_, hi_


def _ball_scaled(obj, where: str, scale: Fraction) -> None:
    """A ball whose radius is capped relative to ``scale`` (the margin S - S_LB may be 0: capped by |S|)."""
    a, b = read_ball(obj, where)
    if (b - a) / 2 > BALL_MAX_RELATIVE_RADIUS * abs(scale):
        raise CheckFailure(where + ".rad", f"ball radius above the maximum {BALL_MAX_RELATIVE_RADIUS} * |S|")


def _check_deep_balanced(cert, out, Sigma, w, n, d, L) -> None:
    """MC-LB on the balanced minimizer of ordinary data. Exact where possible, enclosed where irrational:

    * W_k = sigma_k R_k (``_balanced_skeleton``); W_L ... W_1 = (prod sigma_k) R_L ... R_1 with R_L ... R_1 = w*^T and
      (prod sigma_k)^2 = t^L prod r_k = ||w*||^2 prod r_k = 1 exactly, so it is a global minimizer;
    * M = sum_k ||u_k||^2 V_{k-1}^T V_{k-1} = t^(L-1) M0 with M0 = sum_k (prod_{j != k} r_j) ||U_k||^2 V_{k-1}^T V_{k-1}
      over the exact R_k (prefix/suffix products), so S = 2 t^(L-1) lambda_max(M0 Sigma), the eigenvalue isolated
      exactly by Sturm, t^(L-1) = ||w*||^(2-2/L) in intervals;
    * every stated ball (||w*||, c, the factors, S, S_LB, S - S_LB) must contain the enclosure computed here, within
      the width caps; the verdict is decided on the enclosures: the lower bound holds iff lo(S) - hi(S_LB) > 0, and an
      undecided margin is refused unless lambda_max(M0 Sigma) = L a is proved exactly (then S = S_LB)."""
    bm = cert["balanced_minimizer"]
    wn2 = sum((c * c for c in w), Fraction(0))
    R, r = _balanced_skeleton(w, L)
    prod_R, prod_r = R[0], r[0]
    for k in range(1, L):
        prod_R, prod_r = lp.matmul(R[k], prod_R), prod_r * r[k]
    if prod_R != [w] or wn2 * prod_r != 1:
        raise CheckFailure("balanced_minimizer", "internal: the skeleton's product is not w*^T")  # pragma: no cover
    out.append("minimizer: the balanced rank-one minimizer (W_1 = c w*^T/||w*||, W_k = c, c = ||w*||^(1/L)) has "
               "W_L ... W_1 = (c^L/||w*||) w*^T = w*^T exactly, so R(W) = R_min (a global minimizer)")
    # prefix products V_k = R_k ... R_1 (V_0 = I) and suffix products U_k = R_L ... R_{k+1}
    ident = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
    V = [ident]
    for k in range(L):
        V.append(lp.matmul(R[k], V[-1]))
    U, acc = [None] * L, [[Fraction(1)]]
    for k in range(L - 1, -1, -1):
        U[k] = acc
        acc = lp.matmul(acc, R[k])
    M0 = [[Fraction(0)] * d for _ in range(d)]
    for k in range(L):
        scale = prod_r / r[k] * sum((c * c for c in U[k][0]), Fraction(0))  # prod_{j != k} r_j ||U_k||^2
        VtV = lp.matmul(lp.transpose(V[k]), V[k])
        M0 = [[M0[i][j] + scale * VtV[i][j] for j in range(d)] for i in range(d)]
    B = lp.matmul(M0, Sigma)
    poly = lp.charpoly(B)
    dps = _dps(cert)
    # lambda_max(B) >= trace(B)/d > 0 (B is similar to Sigma^(1/2) M0 Sigma^(1/2), positive definite), so this width
    # is at most 10^-(dps-5) relative
    width = sum((B[i][i] for i in range(d)), Fraction(0)) / d / 10 ** (dps - 5)
    a_, b_ = _largest_root(poly, width)
    a_ray = sum((w[i] * Sigma[i][j] * w[j] for i in range(d) for j in range(d)), Fraction(0)) / wn2
    bound = cert["bound"]
    tree = theorems.bind(bound["name"], bound["side"], None, bound["expr"], {theorems.MC_LB[0]: (
        theorems.MC_LB[1], None, theorems.MC_LB[2])}, "bound")
    with precision(dps + GUARD_DIGITS):
        log_wn2 = iv_log(point(wn2))
        s = iv_sqrt(point(wn2))
        c = iv_exp(log_wn2 / (2 * L))
        _inside(s, bm["w_norm"], "balanced_minimizer.w_norm", "||w*||")
        _inside(c, bm["root"], "balanced_minimizer.root", "c = ||w*||^(1/L)")
        factors = bm["factors"]
        if len(factors) != L:
            raise CheckFailure("balanced_minimizer.factors", f"expected L = {L} factors W_1 .. W_L")
        for k in range(L):
            where = f"balanced_minimizer.factors[{k}]"
            if len(factors[k]) != len(R[k]) or len(factors[k][0]) != len(R[k][0]):
                raise CheckFailure(where, f"expected a {len(R[k])} x {len(R[k][0])} matrix")
            sigma = c * iv_sqrt(point(r[k]))
            for i, row in enumerate(R[k]):
                for j, q in enumerate(row):
                    _inside(sigma * point(q), factors[k][i][j], f"{where}[{i}][{j}]", f"W_{k + 1}[{i}, {j}]")
        out.append("enclosures: ||w*||, c = ||w*||^(1/L) and every factor entry lie in the stated balls")
        t_pow = iv_exp(log_wn2 * (L - 1) / L)  # t^(L-1) = ||w*||^(2-2/L)
        S = 2 * t_pow * iv.mpf([lo(point(a_)), hi(point(b_))])
        _inside(S, cert["sharpness"], "sharpness", "S = 2 ||w*||^(2-2/L) lambda_max(M0 Sigma)")
        out.append("sharpness: S = 2 lambda_max(Sigma^(1/2) M Sigma^(1/2)) with M = ||w*||^(2-2/L) M0, M0 exact "
                   "(J J^T over the exact skeleton), lambda_max(M0 Sigma) by exact Sturm root isolation")
        env = {"L": iv.mpf(L), "a": point(a_ray), "w_norm": s, "d": iv.mpf(d), "n": iv.mpf(n)}
        SLB = _evaluate(tree, env, None, "bound.expr")
        _inside(SLB, bound["value"], "bound.value", "S_LB")
        s_lo, s_hi = endpoints(S)
        b_lo, b_hi = endpoints(SLB)
        _ball_scaled(cert["margin"], "margin", s_hi)
        require_inside(S - SLB, cert["margin"], "margin", "S - S_LB")
        out.append("S_LB = 2 L a ||w*||^(2-2/L) (the table's formula) and S - S_LB enclosed in intervals, inside the "
                   "stated balls")
        clo, chi = _ratio(S / SLB, cert["ratio"], "ratio", "S/S_LB")
        if "equality" in cert:
            eq = cert["equality"]
            lam = exact(eq["lambda_max"], "equality.lambda_max")
            if lam != L * a_ray:
                raise CheckFailure("equality.lambda_max", "is not L a: S = S_LB would not follow")
            if lp.polyval(poly, lam) != 0 or lp.count_roots_above(poly, lam) != 0:
                raise CheckFailure("equality.lambda_max", "L a is not the largest eigenvalue of M0 Sigma: S != S_LB")
            mu = _equality_family(Sigma, w, L)
            out.append(f"equality: lambda_max(M0 Sigma) = L a = {eq['lambda_max']} exactly, so S = S_LB; w* is an "
                       f"eigenvector of Sigma (mu = {mu}) and L mu >= lambda_max(Sigma)")
            verdict = " (attained: equality proved exactly)"
        elif s_lo - b_hi > 0:
            verdict = " (bound holds: lo(S) - hi(S_LB) > 0)"
        elif s_hi - b_lo < 0:
            raise CheckFailure("margin", f"the lower bound {bound['name']!r} is violated here: hi(S) < lo(S_LB)")
        else:
            raise CheckFailure("margin", f"the enclosures of S and S_LB overlap: the lower bound {bound['name']!r} "
                                         "is not decided (and equality is not proved)")
    out.append(f"ratio: S / S_LB in [{cert['ratio']['lo']}, {cert['ratio']['hi']}]{verdict}")


# --- entry points ----------------------------------------------------------------------------------

def check_certificate(cert, *, use_sympy: bool | None = None, time_limit: float | None = TIME_LIMIT) -> list[str]:
    """Verify one parsed certificate; return the list of what was verified, or raise CheckFailure.

    ``use_sympy``: None or True re-run the symbolic steps (a certificate with a ``limit`` section fails when
    SymPy is not importable); False skips them, so such a certificate fails. ``time_limit``: the wall-clock
    budget in seconds (None: no timer).
    """
    out: list[str] = []
    try:
        with deadline(time_limit) if time_limit else _nothing():
            if not isinstance(cert, dict):
                raise CheckFailure("(top level)", "a certificate is a JSON object")
            if not isinstance(cert.get("sha256"), str) or cert["sha256"] != content_hash(cert):
                raise CheckFailure("sha256", "content hash mismatch: the file was edited after it was written")
            refuting = cert.get("kind") == "refutation"  # a counterexample to a conjecture (written by falsify)
            if refuting:
                from . import refutation

                refutation.SCHEMA(cert, "")
            else:
                schema.validate(cert)
            _check_header(cert, out)
            if cert["kind"] == "diagonal":
                _check_diagonal(cert, out, use_sympy)
            elif refuting:
                refutation.check(cert, out)
            else:
                _check_deep_linear(cert, out)
    except CheckFailure:
        raise
    except BudgetExceeded:
        raise CheckFailure("(budget)", f"checking takes longer than {time_limit} s: refused") from None
    except RecursionError:
        raise CheckFailure("(budget)", "nesting too deep: refused") from None
    except MemoryError:
        raise CheckFailure("(budget)", "out of memory: refused") from None
    except ArithmeticError as exc:  # includes ZeroDivisionError: an exact identity failed on malformed data
        raise CheckFailure("(arithmetic)", f"{type(exc).__name__}: {exc}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        # a value of the wrong shape somewhere the schema did not anticipate: still a failure, never a traceback
        raise CheckFailure("(structure)", f"malformed certificate ({type(exc).__name__}: {exc})") from None
    return out


@contextmanager
def _nothing():
    yield


def load(data):
    """Parse certificate bytes or text under the reading limits (:mod:`.jsonread`)."""
    return loads(data)


def check_file(path, *, use_sympy: bool | None = None) -> CheckReport:
    report = CheckReport(str(path))
    try:
        try:
            with open(path, "rb") as fh:
                data = fh.read(schema_max_bytes() + 1)
        except OSError as exc:
            raise InputError("(file)", f"cannot read: {exc.strerror or exc}") from None
        report.verified = check_certificate(load(data), use_sympy=use_sympy)
    except CheckFailure as exc:
        report.failure = exc
    return report


def schema_max_bytes() -> int:
    from .jsonread import MAX_FILE_BYTES

    return MAX_FILE_BYTES


def _safe(text: str, limit: int = 2000) -> str:
    """Text from a file, made printable (control and unpaired surrogate characters escaped) and bounded."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text)} characters)"
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for c in text)


def main(argv=None, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = list(sys.argv[1:] if argv is None else argv)
    use_sympy = None
    if "--no-sympy" in args:
        args.remove("--no-sympy")
        use_sympy = False
    if not args or any(a.startswith("--") for a in args):
        err.write("usage: python -m checker [--no-sympy] CERT.json [CERT.json ...]\n")
        return 2
    failed = unreadable = 0
    for path in args:
        rep = check_file(path, use_sympy=use_sympy)
        if rep.ok:
            out.write(f"OK   {_safe(path)}\n")
            for line in rep.verified:
                out.write(f"     - {_safe(line)}\n")
        elif rep.unreadable:
            unreadable += 1
            err.write(f"error: {_safe(path)}: {_safe(rep.failure.field)}: {_safe(rep.failure.message)}\n")
        else:
            failed += 1
            out.write(f"FAIL {_safe(path)}\n     field {_safe(rep.failure.field)}: {_safe(rep.failure.message)}\n")
    if len(args) > 1 or not unreadable:
        out.write(f"{len(args) - failed - unreadable} verified, {failed} failed, {unreadable} unreadable\n")
    return 2 if unreadable else 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
