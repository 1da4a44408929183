"""Verify implicitreg tightness certificates without trusting implicitreg.

Usage (standalone, from the folder that holds ``checker/``)::

    python -m checker [--no-sympy] CERT.json [CERT.json ...]

Imports: the standard library and mpmath (``mpmath.iv`` interval arithmetic); SymPy only, and only
optionally, to re-run the symbolic limit steps. Every failure names the JSON field whose claim fails.
The format is described in ``docs/certificates.md``; in short:

* ``sha256``: SHA-256 of the canonical JSON of everything else (sorted keys, no spaces, ASCII);
* ``kind: "diagonal"``: instance (A, y exact), depth, alpha convention; exact zero-gap LP certificate
  of x*; exact primal/dual certificate of rho; per alpha a box for nu proved by the Krawczyk test to
  hold the unique solution of the dual equations, balls for x_inf and the error that must contain the
  enclosures recomputed here, each bound evaluated in interval arithmetic, and a ratio interval that
  must contain error / bound (a certified violation of an ``upper``/``lower`` bound is rejected; a bound
  attained with equality is reported as attained within the interval);
* ``kind: "deep-linear"``: X, y exact, L, w* (checked against the normal equations), an explicit exact
  minimizer (W_L ... W_1 = w*^T), its sharpness S = 2 lambda_max(M Sigma) enclosed by exact Sturm root
  isolation, S_LB = 2 L a ||w*||^(2-2/L) in interval arithmetic, and the ratio interval.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import mpmath
from mpmath import iv

from . import lp
from .interval import (CheckFailure, endpoints, evaluate, exact, exact_matrix, exact_vector, hi,
                       lo, point, precision, read_ball, require_inside)
from .krawczyk import dual_potential, dual_potential_inverse, krawczyk, link

FORMAT = "implicitreg-certificate/1"
PROVENANCE_KINDS = ("paper", "derived", "standard", "reconstructed", "conjecture")
BOUND_SIDES = ("upper", "lower", "limit")
NORMS = ("l1", "l2", "linf")
COMMON_FIELDS = ("format", "kind", "theorem", "tool", "sha256")
DIAGONAL_FIELDS = COMMON_FIELDS + ("instance", "depth", "alpha_convention", "basis_pursuit", "rho", "bounds",
                                   "points")
DEEP_FIELDS = COMMON_FIELDS + ("instance", "L", "w_star", "minimizer", "sharpness", "bound", "ratio")


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


def _get(obj, key, where):
    if not isinstance(obj, dict):
        raise CheckFailure(where, "expected a JSON object")
    if key not in obj:
        raise CheckFailure(f"{where}.{key}" if where else key, "missing field")
    return obj[key]


def _require_fields(cert, names):
    for n in names:
        _get(cert, n, "")


def _check_header(cert: dict, out: list[str]) -> None:
    if not isinstance(cert, dict):
        raise CheckFailure("(top level)", "a certificate is a JSON object")
    fmt = _get(cert, "format", "")
    if fmt != FORMAT:
        raise CheckFailure("format", f"unknown format {fmt!r} (this checker reads {FORMAT!r})")
    stated = _get(cert, "sha256", "")
    if stated != content_hash(cert):
        raise CheckFailure("sha256", "content hash mismatch: the file was edited after it was written")
    out.append("content hash matches (sha256 of the canonical JSON)")
    theorem = _get(cert, "theorem", "")
    for key in ("name", "claim", "provenance"):
        _get(theorem, key, "theorem")
    prov = theorem["provenance"]
    if _get(prov, "kind", "theorem.provenance") not in PROVENANCE_KINDS:
        raise CheckFailure("theorem.provenance.kind", f"must be one of {PROVENANCE_KINDS}")
    _get(prov, "source", "theorem.provenance")
    out.append(f"theorem {theorem['name']} [{prov['kind']}] (provenance is stated, not checkable): {theorem['claim']}")
    tool = _get(cert, "tool", "")
    _get(tool, "name", "tool")
    _get(tool, "version", "tool")


def _dps(cert) -> int:
    dps = cert["tool"].get("checker_dps", 50)
    if isinstance(dps, bool) or not isinstance(dps, int) or not 15 <= dps <= 2000:
        raise CheckFailure("tool.checker_dps", "must be an integer in [15, 2000]")
    return dps


# --- diagonal networks -----------------------------------------------------------------------------

def _alpha_product(alpha: Fraction, depth: Fraction, convention: str):
    """alpha_prod = u(0)^D: alpha itself (product convention) or alpha^D (factor convention)."""
    if convention == "product":
        return point(alpha)
    if depth.denominator == 1:
        return point(alpha ** depth.numerator)
    return iv.exp(point(depth) * iv.log(point(alpha)))


def _norm(vals, norm):
    if norm == "l1":
        return sum((abs(v) for v in vals), iv.mpf(0))
    if norm == "l2":
        return iv.sqrt(sum((v ** 2 for v in vals), iv.mpf(0)))
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
    env["K1star"] = iv.mpf([max(lo(abs(iv.log(point(abs(xs[i]))))) for i in S),
                            max(hi(abs(iv.log(point(abs(xs[i]))))) for i in S)])
    AS = [[row[j] for j in S] for row in A]
    G = lp.matmul(lp.transpose(AS), AS)
    k2 = Fraction(0)
    for j in Sc:
        col = lp.solve_square(G, lp.rmatvec(AS, [row[j] for row in A]))
        k2 = max(k2, lp.norm1(col))
    env["K2"] = point(k2)
    return env


def _point_constants(env0, w, support, signs, ap, depth):
    """The a-posteriori constants of theory/diagonal.py at one alpha, from w = A^T nu on the Krawczyk box:
    K1 = ||w_S - sigma log(1/alpha)||_inf, eps = ||w_S - sigma||_inf, rho_a = rho + K2 eps,
    rho_minus = max(rho - K2 eps, 0), M0 = H_D^{-1}(n H_D(rho_a)) (D > 2, when rho_a < 1)."""
    def sup_norm(vals):
        mags = [abs(v) for v in vals]
        return iv.mpf([max(lo(v) for v in mags), max(hi(v) for v in mags)])

    Lg = -iv.log(ap)
    env = {"K1": sup_norm([w[i] - sg * Lg for i, sg in zip(support, signs)]),
           "eps": sup_norm([w[i] - sg for i, sg in zip(support, signs)])}
    env["rho_a"] = env0["rho"] + env0["K2"] * env["eps"]
    rm = env0["rho"] - env0["K2"] * env["eps"]
    env["rho_minus"] = iv.mpf([max(lo(rm), 0), max(hi(rm), 0)])
    if depth > 2 and hi(env["rho_a"]) < 1:
        env["M0"] = dual_potential_inverse(depth, env0["n"] * dual_potential(depth)(env["rho_a"]))
    return env


def _check_diagonal(cert: dict, out: list[str], use_sympy) -> None:
    _require_fields(cert, DIAGONAL_FIELDS)
    inst = cert["instance"]
    A = exact_matrix(_get(inst, "A", "instance"), "instance.A")
    y = exact_vector(_get(inst, "y", "instance"), "instance.y", len(A))
    m, N = len(A), len(A[0])
    depth = exact(cert["depth"], "depth")
    if depth < 2:
        raise CheckFailure("depth", f"depth must be >= 2, got {depth}")
    convention = cert["alpha_convention"]
    if convention not in ("product", "factor"):
        raise CheckFailure("alpha_convention", "must be 'product' or 'factor'")
    out.append(f"instance: A is {m} x {N}, exact; depth D = {depth}; alpha convention {convention!r}")

    bp = cert["basis_pursuit"]
    xs = exact_vector(_get(bp, "x_star", "basis_pursuit"), "basis_pursuit.x_star", N)
    out += lp.check_l1_optimal(A, y, xs, exact(_get(bp, "value", "basis_pursuit"), "basis_pursuit.value"),
                               exact_vector(_get(bp, "lambda", "basis_pursuit"), "basis_pursuit.lambda"),
                               "basis_pursuit")
    rc = cert["rho"]
    support = _get(rc, "support", "rho")
    signs = _get(rc, "signs", "rho")
    if not (isinstance(support, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in support)):
        raise CheckFailure("rho.support", "expected a list of integer indices")
    if not (isinstance(signs, list) and all(s in (1, -1) for s in signs)):
        raise CheckFailure("rho.signs", "expected a list of +1/-1")
    rho = exact(_get(rc, "value", "rho"), "rho.value")
    out += lp.check_rho(A, xs, support, signs, rho,
                        exact_vector(_get(rc, "lambda", "rho"), "rho.lambda"),
                        exact_vector(_get(rc, "v", "rho"), "rho.v"), "rho")

    bounds = cert["bounds"]
    if not isinstance(bounds, list) or not bounds:
        raise CheckFailure("bounds", "expected a non-empty list")
    for b, spec in enumerate(bounds):
        where = f"bounds[{b}]"
        for key in ("name", "side", "norm", "expr", "provenance"):
            _get(spec, key, where)
        if spec["side"] not in BOUND_SIDES:
            raise CheckFailure(where + ".side", f"must be one of {BOUND_SIDES}")
        if spec["norm"] not in NORMS:
            raise CheckFailure(where + ".norm", f"must be one of {NORMS}")
        if _get(spec["provenance"], "kind", where + ".provenance") not in PROVENANCE_KINDS:
            raise CheckFailure(where + ".provenance.kind", f"must be one of {PROVENANCE_KINDS}")
        if not isinstance(spec["expr"], str):
            raise CheckFailure(where + ".expr", "expected an expression string")

    points = cert["points"]
    if not isinstance(points, list) or not points:
        raise CheckFailure("points", "expected a non-empty list")
    with precision(_dps(cert)):
        env0 = _instance_constants(A, xs, support, rho, depth, N)
        phi = link(depth)
        for k, pt in enumerate(points):
            _check_point(pt, f"points[{k}]", A, y, xs, support, signs, depth, convention, bounds, env0, phi, out)
    if "limit" in cert:
        _check_limit(cert["limit"], A, y, xs, depth, convention, bounds, rho, out, use_sympy)


def _check_point(pt, where, A, y, xs, support, signs, depth, convention, bounds, env0, phi, out) -> None:
    m, N = len(A), len(A[0])
    for key in ("alpha", "nu", "x_inf", "errors", "bounds"):
        _get(pt, key, where)
    alpha = exact(pt["alpha"], where + ".alpha")
    if alpha <= 0:
        raise CheckFailure(where + ".alpha", "alpha must be > 0")
    ap = _alpha_product(alpha, depth, convention)
    nu = pt["nu"]
    if not isinstance(nu, list) or len(nu) != m:
        raise CheckFailure(where + ".nu", f"expected {m} balls")
    centre, radius = [], []
    for i, ball in enumerate(nu):
        a, b = read_ball(ball, f"{where}.nu[{i}]")
        centre.append((a + b) / 2)
        radius.append((b - a) / 2)
    K = krawczyk(A, y, ap, depth, centre, radius, where + ".nu")
    # The unique zero lies in K(X); x_inf = alpha_prod phi_D(A^T nu) on it.
    z = [sum((point(A[i][j]) * K[i] for i in range(m)), iv.mpf(0)) for j in range(N)]
    x = [ap * phi(zj) for zj in z]
    xb = pt["x_inf"]
    if not isinstance(xb, list) or len(xb) != N:
        raise CheckFailure(where + ".x_inf", f"expected {N} balls")
    for j in range(N):
        require_inside(x[j], xb[j], f"{where}.x_inf[{j}]", f"x_inf[{j}]")
    diff = [xj - point(sj) for xj, sj in zip(x, xs)]
    errs = pt["errors"]
    norms_needed = {spec["norm"] for spec in bounds}
    err_iv = {}
    for nm in sorted(norms_needed):
        err_iv[nm] = _norm(diff, nm)
        require_inside(err_iv[nm], _get(errs, nm, where + ".errors"), f"{where}.errors.{nm}",
                       f"||x_inf - x*||_{nm[1:]}")
    env = dict(env0, alpha=point(alpha), alpha_product=ap)
    env.update(_point_constants(env0, z, support, signs, ap, depth))
    pb = pt["bounds"]
    verdicts = []
    if not isinstance(pb, list) or len(pb) != len(bounds):
        raise CheckFailure(where + ".bounds", f"expected {len(bounds)} entries (one per bound)")
    for b, spec in enumerate(bounds):
        bw = f"{where}.bounds[{b}]"
        val = evaluate(spec["expr"], env, f"bounds[{b}].expr", link=phi)
        if not lo(val) > 0:
            raise CheckFailure(bw + ".value", "the bound is not provably positive")
        require_inside(val, _get(pb[b], "value", bw), bw + ".value", f"the bound {spec['name']!r}")
        ratio = err_iv[spec["norm"]] / val
        r = _get(pb[b], "ratio", bw)
        rlo = exact(_get(r, "lo", bw + ".ratio"), bw + ".ratio.lo")
        rhi = exact(_get(r, "hi", bw + ".ratio"), bw + ".ratio.hi")
        clo, chi = endpoints(ratio)
        if not (rlo <= clo and chi <= rhi):
            raise CheckFailure(bw + ".ratio", f"the certified ratio error/bound lies in [{mpmath.nstr(lo(ratio), 15)}, "
                                              f"{mpmath.nstr(hi(ratio), 15)}], not inside the stated [{r['lo']}, {r['hi']}]")
        if rlo <= 0:
            raise CheckFailure(bw + ".ratio.lo", "a tightness claim needs a positive lower ratio")
        # An upper bound is violated if error/bound > 1 for sure, a lower bound if < 1 for sure: such a file
        # certifies a counterexample, not tightness, and is rejected. Ratio = 1 exactly (a bound attained with
        # equality) cannot be decided by intervals: it is reported as attained within [lo, hi].
        if spec["side"] == "upper" and clo > 1 or spec["side"] == "lower" and chi < 1:
            raise CheckFailure(bw + ".ratio", f"the {spec['side']} bound {spec['name']!r} is violated here")
        holds = (spec["side"] == "upper" and chi <= 1) or (spec["side"] == "lower" and clo >= 1)
        verdicts.append(f"{spec['side']} {spec['norm']}: [{r['lo']}, {r['hi']}]"
                        + (" (bound holds)" if holds else " (attained)" if spec["side"] != "limit" else ""))
    out.append(f"{where}: alpha = {pt['alpha']}: Krawczyk proves a unique dual solution in the nu box; x_inf, "
               f"errors and bound values enclosed; error/bound: " + "; ".join(verdicts))


def _check_limit(limit, A, y, xs, depth, convention, bounds, rho, out, use_sympy) -> None:
    for key in ("statement", "bound", "alpha_of_t", "error_of_t", "t_limit", "value", "steps"):
        _get(limit, key, "limit")
    steps = limit["steps"]
    if not isinstance(steps, list) or not steps:
        raise CheckFailure("limit.steps", "expected a non-empty list")
    for i, st in enumerate(steps):
        for key in ("claim", "method", "lhs", "rhs"):
            _get(st, key, f"limit.steps[{i}]")
    if use_sympy is False:
        out.append("limit: structure checked; SymPy re-check skipped (requested)")
        return
    try:
        import sympy
    except ImportError:
        if use_sympy:
            raise CheckFailure("limit", "SymPy re-check requested but SymPy is not importable") from None
        out.append("limit: structure checked; SymPy not importable, symbolic steps not re-run")
        return
    from .symbolic import recheck_limit

    out += recheck_limit(sympy, limit, A, y, xs, depth, convention, bounds, rho)


# --- deep linear networks ----------------------------------------------------------------------------

def _check_deep_linear(cert: dict, out: list[str]) -> None:
    _require_fields(cert, DEEP_FIELDS)
    inst = cert["instance"]
    X = exact_matrix(_get(inst, "X", "instance"), "instance.X")
    y = exact_vector(_get(inst, "y", "instance"), "instance.y", len(X))
    n, d = len(X), len(X[0])
    L = cert["L"]
    if isinstance(L, bool) or not isinstance(L, int) or L < 2:
        raise CheckFailure("L", "depth L must be an integer >= 2")
    Sigma = [[v / n for v in row] for row in lp.matmul(lp.transpose(X), X)]
    if lp.rank(Sigma) != d:
        raise CheckFailure("instance.X", "Sigma = X^T X / n is singular; this checker needs a unique w*")
    w = exact_vector(cert["w_star"], "w_star", d)
    if lp.matvec(Sigma, w) != [v / n for v in lp.rmatvec(X, y)]:
        raise CheckFailure("w_star", "w* does not solve the normal equations X^T X w = X^T y")
    out.append(f"instance: X is {n} x {d}, exact; w* solves the normal equations and is unique (Sigma invertible)")

    Ws = cert["minimizer"]
    if not isinstance(Ws, list) or len(Ws) != L:
        raise CheckFailure("minimizer", f"expected L = {L} matrices W_1 .. W_L")
    W = [exact_matrix(Wk, f"minimizer[{k}]") for k, Wk in enumerate(Ws)]
    if len(W[0][0]) != d or len(W[-1]) != 1:
        raise CheckFailure("minimizer", "W_1 must have d columns and W_L one row")
    for k in range(1, L):
        if len(W[k][0]) != len(W[k - 1]):
            raise CheckFailure(f"minimizer[{k}]", "shapes do not chain")
    prod = W[-1]
    for k in range(L - 2, -1, -1):
        prod = lp.matmul(prod, W[k])
    if prod[0] != w:
        raise CheckFailure("minimizer", "W_L ... W_1 != w*^T: not a global minimizer")
    out.append(f"minimizer: W_L ... W_1 = w*^T exactly, so R(W) = R_min (a global minimizer)")

    # M = sum_k ||u_k||^2 V_{k-1}^T V_{k-1}; u_k^T = W_L ... W_{k+1}; V_{k-1} = W_{k-1} ... W_1 (deep_linear.md §1).
    ident = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
    factors = []  # (u_k^T as a 1-row matrix, V_{k-1}) for k = 1..L
    for k in range(L):
        u = [[Fraction(1)]]
        for j in range(L - 1, k, -1):
            u = lp.matmul(u, W[j])
        V = ident
        for j in range(k):
            V = lp.matmul(W[j], V)
        factors.append((u, V))
    M = [[Fraction(0)] * d for _ in range(d)]
    for u, V in factors:
        un = sum((c * c for c in u[0]), Fraction(0))
        VtV = lp.matmul(lp.transpose(V), V)
        M = [[M[i][j] + un * VtV[i][j] for j in range(d)] for i in range(d)]
    # The Hessian at a minimizer: R = (1/n)||y - X w||^2 has dR/dw = -(2/n) X^T (y - X w) = 0 at w = w* (normal
    # equations, checked above), so the chain rule leaves H = J^T (2 Sigma) J with J = dw/dtheta. Its nonzero
    # spectrum is that of 2 Sigma^(1/2) J J^T Sigma^(1/2); J J^T = M is checked exactly here (J from its definition:
    # d w / d W_k[a, b] = u_k[a] V_{k-1}[b, :]^T).
    JJt = [[Fraction(0)] * d for _ in range(d)]
    for k, (u, V) in enumerate(factors):
        for a in range(len(W[k])):
            for b in range(len(W[k][0])):
                col = [u[0][a] * V[b][i] for i in range(d)]
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
    with precision(_dps(cert)):
        S = iv.mpf([lo(point(2 * a_)), hi(point(2 * b_))])
        require_inside(S, cert["sharpness"], "sharpness", "S = 2 lambda_max(M Sigma)")
        out.append("sharpness: S = 2 lambda_max(Sigma^(1/2) M Sigma^(1/2)) enclosed by exact Sturm root isolation")
        bound = cert["bound"]
        for key in ("name", "side", "expr", "value", "provenance"):
            _get(bound, key, "bound")
        wn2 = sum((c * c for c in w), Fraction(0))
        a_ray = sum((w[i] * Sigma[i][j] * w[j] for i in range(d) for j in range(d)), Fraction(0)) / wn2
        env = {"L": iv.mpf(L), "a": point(a_ray), "w_norm": iv.sqrt(point(wn2)), "d": iv.mpf(d), "n": iv.mpf(n)}
        SLB = evaluate(bound["expr"], env, "bound.expr")
        require_inside(SLB, bound["value"], "bound.value", "S_LB")
        ratio = S / SLB
        r = cert["ratio"]
        rlo = exact(_get(r, "lo", "ratio"), "ratio.lo")
        rhi = exact(_get(r, "hi", "ratio"), "ratio.hi")
        clo, chi = endpoints(ratio)
        if not (rlo <= clo and chi <= rhi):
            raise CheckFailure("ratio", f"the certified ratio S/S_LB lies in [{mpmath.nstr(lo(ratio), 15)}, "
                                        f"{mpmath.nstr(hi(ratio), 15)}], not inside [{r['lo']}, {r['hi']}]")
        if bound["side"] == "lower" and chi < 1 or bound["side"] == "upper" and clo > 1:
            raise CheckFailure("ratio", f"the {bound['side']} bound {bound['name']!r} is violated by this minimizer")
    out.append(f"ratio: S / S_LB in [{r['lo']}, {r['hi']}]")
    if "equality" in cert:
        _check_equality(cert["equality"], L, Sigma, w, wn2, a_ray, poly, out)


def _check_equality(eq, L, Sigma, w, wn2, a_ray, poly, out) -> None:
    """Exact proof of S = S_LB when S_LB is rational: (S_LB / (2 L a))^L = ||w*||^(2L-2) and S_LB/2 is the
    largest root of det(t I - M Sigma); plus the equality-family hypotheses (deep_linear.md §3)."""
    slb = exact(_get(eq, "S_LB", "equality"), "equality.S_LB")
    if slb <= 0 or (slb / (2 * L * a_ray)) ** L != wn2 ** (L - 1):
        raise CheckFailure("equality.S_LB", "is not 2 L a ||w*||^(2-2/L)")
    if lp.polyval(poly, slb / 2) != 0 or lp.count_roots_above(poly, slb / 2) != 0:
        raise CheckFailure("equality.S_LB", "S_LB / 2 is not the largest eigenvalue of M Sigma: S != S_LB")
    Sw = lp.matvec(Sigma, w)
    i0 = next(i for i in range(len(w)) if w[i] != 0)
    mu = Sw[i0] / w[i0]
    if Sw != [mu * c for c in w]:
        raise CheckFailure("equality", "w* is not an eigenvector of Sigma (equality-family hypothesis)")
    if lp.count_roots_above(lp.charpoly(Sigma), L * mu) != 0:
        raise CheckFailure("equality", "L mu < lambda_max(Sigma) (equality-family hypothesis)")
    out.append(f"equality: S = S_LB = {eq['S_LB']} exactly; w* is an eigenvector of Sigma (mu = {mu}) and "
               f"L mu >= lambda_max(Sigma)")


# --- entry points ----------------------------------------------------------------------------------

def check_certificate(cert, *, use_sympy: bool | None = None) -> list[str]:
    """Verify one parsed certificate; return the list of what was verified, or raise CheckFailure.

    ``use_sympy``: None re-runs the symbolic steps when SymPy is importable, True requires it,
    False skips them.
    """
    out: list[str] = []
    _check_header(cert, out)
    kind = cert.get("kind")
    try:
        if kind == "diagonal":
            _check_diagonal(cert, out, use_sympy)
        elif kind == "deep-linear":
            _check_deep_linear(cert, out)
        elif kind == "refutation":  # a counterexample to a conjecture (refutation.py, written by falsify)
            from . import refutation

            refutation.check(cert, out)
        else:
            raise CheckFailure("kind", f"unknown kind {kind!r} (expected 'diagonal' or 'deep-linear')")
    except CheckFailure:
        raise
    except ArithmeticError as exc:  # includes ZeroDivisionError: an exact identity failed on malformed data
        raise CheckFailure("(arithmetic)", f"{type(exc).__name__}: {exc}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        # a value of the wrong JSON type somewhere the field-by-field checks did not anticipate: still a failure
        raise CheckFailure("(structure)", f"malformed certificate ({type(exc).__name__}: {exc})") from None
    return out


def load(text: str):
    """Parse certificate text; numbers must be strings, so a JSON float is an error."""
    def no_float(s):
        raise CheckFailure("(json)", f"bare JSON number {s} (certificates store numbers as strings)")

    def no_const(s):
        raise CheckFailure("(json)", f"{s} is not allowed")

    try:
        return json.loads(text, parse_float=no_float, parse_constant=no_const)
    except json.JSONDecodeError as exc:
        raise CheckFailure("(json)", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None


def check_file(path, *, use_sympy: bool | None = None) -> CheckReport:
    report = CheckReport(str(path))
    try:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CheckFailure("(file)", f"cannot read: {exc}") from None
        report.verified = check_certificate(load(text), use_sympy=use_sympy)
    except CheckFailure as exc:
        report.failure = exc
    return report


def main(argv=None, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = list(sys.argv[1:] if argv is None else argv)
    use_sympy = None
    if "--no-sympy" in args:
        args.remove("--no-sympy")
        use_sympy = False
    if not args:
        err.write("usage: python -m checker [--no-sympy] CERT.json [CERT.json ...]\n")
        return 2
    failed = 0
    for path in args:
        rep = check_file(path, use_sympy=use_sympy)
        if rep.ok:
            out.write(f"OK   {path}\n")
            for line in rep.verified:
                out.write(f"     - {line}\n")
        else:
            failed += 1
            out.write(f"FAIL {path}\n     field {rep.failure.field}: {rep.failure.message}\n")
    out.write(f"{len(args) - failed} verified, {failed} failed\n")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
