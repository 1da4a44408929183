"""Tightness families of the depth-D error theorems, in closed form (dln.md §5) [derived].

The family: m = 1, A = [1, r, ..., r] (one 1 and n = N - 1 copies of r), y = 1, 0 < r < 1.
Then x* = (1, 0, ..., 0), S = {1}, sigma = +1, and rho = rho_S = ||A_S^+ A_{S^c}||_{1->1} = r.

GF-limit relation (dln.md §2: x_inf = alpha phi_D(A^T nu), A x_inf = y). A^T nu = (z, r z, ..., r z)
with z = nu, so x_inf = alpha (phi_D(z), phi_D(r z), ..., phi_D(r z)) and the constraint reads

    alpha (phi_D(z) + n r phi_D(r z)) = 1,       phi_2 = 2 sinh,  phi_D = h_D (D > 2).

Solving for alpha parameterizes the limit by z: alpha(z) = 1 / (phi_D(z) + n r phi_D(r z)), strictly
decreasing, with alpha -> 0 as z -> oo (D = 2) or z -> 1- (D > 2). The error is

    ||x_inf - x*||_1 = (1 - alpha phi_D(z)) + n alpha phi_D(r z) = n (1 + r) alpha phi_D(r z).

Proved limits (every step a SymPy computation, asserted in ``tests/test_examples_sympy.py``):

* D = 2:  ||x_inf - x*||_1 / alpha^(1-r) -> n (1 + r), via the factorization
  ratio = n (1 + r) [2 sinh(r z) e^(-r z)] [alpha e^z]^r, both brackets -> 1;
* D > 2:  ||x_inf - x*||_1 / alpha -> n (1 + r) h_D(r)  (continuity of h_D at r < 1).

For n = 1 (A = [1, r]) these are the limits 1 + r and (1 + r) h_D(r) of dln.md §5. For n > 1 the
1 x N family has n(1 + r) and n(1 + r) h_D(r): the factor n = N - s is the number of off-support
coordinates (all equal by symmetry). In both cases the D = 2 limit equals the constant of our proved
upper bound (1 + K2)(N - s) e^(K1 K2) with K1 -> 0, K2 = r (proofs/derivations/ms_d2.py): the ratio
error / bound tends to 1, i.e. the MS-D2 upper bound is asymptotically sharp on this family.

SymPy cannot use 0 < r < 1 from assumptions alone, so limits are taken after the substitution
r = 1 / (1 + q), q > 0, which is exactly the range 0 < r < 1; real depth D > 2 is D = 2 + d, d > 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy

from implicitreg.theory import potentials
from implicitreg.theory.statement import alpha

r = sympy.Symbol("r", positive=True)
n = sympy.Symbol("n", positive=True, integer=True)
z = sympy.Symbol("z", positive=True)
q = sympy.Symbol("q", positive=True)
d = sympy.Symbol("d", positive=True)
#: the substitution giving 0 < r < 1 for q > 0
R_OF_Q = 1 / (1 + q)


@dataclass(frozen=True)
class RowFamily:
    """The 1 x (n+1) family [1, r, ..., r], y = 1, at depth D, in closed form (parameter z)."""

    depth: sympy.Expr
    n: sympy.Expr
    x_inf: tuple            # (x_1, x_j) in terms of alpha and z (x_j shared by the n off-support coordinates)
    relation: sympy.Expr    # = 0 on the GF limit: A x_inf - y
    alpha_of_z: sympy.Expr  # the relation solved for alpha
    error_l1: sympy.Expr    # ||x_inf - x*||_1 as a function of z (alpha eliminated)
    scale: sympy.Expr       # alpha^(1-r) (D = 2) or alpha (D > 2), as a function of z
    endpoint: sympy.Expr    # z -> oo (D = 2) or z -> 1- (D > 2)
    expected_limit: sympy.Expr  # n (1 + r) or n (1 + r) h_D(r)
    generic: dict = None        # relation and alpha(z) with an undefined link phi (depth-free algebra)

    @property
    def ratio(self) -> sympy.Expr:
        """||x_inf - x*||_1 / scale as a function of z."""
        return self.error_l1 / self.scale


def row_family(depth=2, n_copies=n) -> RowFamily:
    """Derive the family at ``depth`` (2, a number > 2, or symbolic 2 + d) with ``n_copies`` copies of r.

    The derivation runs with an undefined link function phi (so the algebra is depth-free), then
    substitutes phi_D.
    """
    depth = sympy.nsimplify(depth)
    phi = sympy.Function("phi")
    x1, xj = alpha * phi(z), alpha * phi(r * z)
    relation = x1 + n_copies * r * xj - 1
    (alpha_z,) = sympy.solve(relation, alpha)
    # x* = (1, 0, ..., 0). 1 - x1 = n r xj - relation = n r xj > 0 on the limit, so |x1 - 1| = n r xj
    # and the error is n r xj + n xj (relation(alpha(z)) = 0 is checked in LimitProof.relation_residual).
    error = (n_copies * (1 + r) * xj).subs(alpha, alpha_z)
    concrete = lambda e: e.replace(phi, lambda w: potentials.h(depth, w))  # noqa: E731
    if depth == 2:
        scale, endpoint, expected = alpha_z ** (1 - r), sympy.oo, n_copies * (1 + r)
    else:
        scale, endpoint, expected = alpha_z, sympy.Integer(1), n_copies * (1 + r) * phi(r)
    generic = dict(relation=relation, alpha_of_z=alpha_z)
    return RowFamily(depth, n_copies, (concrete(x1), concrete(xj)), concrete(relation), concrete(alpha_z),
                     concrete(error), concrete(scale), endpoint, concrete(expected), generic)


@dataclass(frozen=True)
class LimitProof:
    """The steps of a proved limit: each ``*_residual`` simplified to 0, each limit computed by SymPy."""

    family: RowFamily
    relation_residual: sympy.Expr     # the GF-limit relation at alpha(z), must be 0
    identity_residual: sympy.Expr     # ratio - (factorized form), must be 0
    factor_limits: tuple              # limits of the factors at the endpoint
    alpha_limit: sympy.Expr           # alpha(z) at the endpoint: 0
    alpha_derivative: sympy.Expr      # d alpha / dz (negative: alpha <-> z is a bijection)
    value: sympy.Expr                 # the proved limit
    value_residual: sympy.Expr        # value - expected_limit, must be 0

    @property
    def proved(self) -> bool:
        return (self.relation_residual == 0 and self.identity_residual == 0 and self.value_residual == 0 and self.alpha_limit == 0
                and all(v.is_finite for v in self.factor_limits))


def _sub_r(expr):
    return expr.subs(r, R_OF_Q)


def prove_ratio_limit(family: RowFamily) -> LimitProof:
    """Prove ratio -> expected_limit at the endpoint (see the module docstring for the factorization)."""
    a_z = family.alpha_of_z
    direction = "-" if family.endpoint == 1 else "+"
    alpha_limit = sympy.limit(_sub_r(a_z), z, family.endpoint, direction) if family.endpoint == 1 else \
        sympy.limit(_sub_r(a_z).rewrite(sympy.exp), z, sympy.oo)
    alpha_derivative = sympy.together(sympy.diff(a_z, z))
    if family.depth == 2:
        # ratio = n(1+r) * [2 sinh(rz) e^(-rz)] * [alpha e^z]^r, checked with a positive stand-in for alpha.
        a = sympy.Symbol("a", positive=True)
        e1 = 2 * sympy.sinh(r * z) * sympy.exp(-r * z)
        e2 = a * sympy.exp(z)
        ratio_a = family.n * (1 + r) * 2 * a * sympy.sinh(r * z) / a ** (1 - r)
        identity = sympy.simplify(sympy.powsimp(ratio_a - family.n * (1 + r) * e1 * e2 ** r, force=True))
        l1 = sympy.limit(_sub_r(e1).rewrite(sympy.exp), z, sympy.oo)
        l2 = sympy.simplify(sympy.limit(_sub_r(e2.subs(a, a_z)).rewrite(sympy.exp), z, sympy.oo))
        value = sympy.simplify(family.n * (1 + r) * l1 * l2 ** r)
        factors = (l1, l2)
    else:
        # ratio = n (1 + r) h_D(r z) exactly (alpha cancels); h_D is continuous at r < 1.
        identity = sympy.simplify(family.ratio - family.n * (1 + r) * potentials.h(family.depth, r * z))
        l1 = sympy.limit(_sub_r(potentials.h(family.depth, r * z)), z, 1, "-")
        value = family.n * (1 + R_OF_Q) * l1
        factors = (l1,)
        value = value.subs(q, 1 / r - 1)
    residual = sympy.simplify(value - family.expected_limit)
    if residual != 0:  # SymPy may leave equal radicals unsimplified; a second canonical form
        residual = sympy.simplify(sympy.powsimp(sympy.expand_power_base(residual, force=True), force=True))
    relation = sympy.cancel(family.generic["relation"].subs(alpha, family.generic["alpha_of_z"]))
    return LimitProof(family, relation, identity, factors, alpha_limit, alpha_derivative, sympy.simplify(value), residual)
