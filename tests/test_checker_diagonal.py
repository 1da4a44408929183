"""The diagonal-network checker's constants, each computed alone (proofs/checker/diagonal.py): alpha_prod in both
alpha conventions, the instance constants a bound may name, and the a-posteriori constants of one point, including
when M0 = H_D^{-1}(n H_D(rho_a)) exists (D > 2 and rho_a < 1 only). Every expected value is derived by hand."""

from __future__ import annotations

from fractions import Fraction

from mpmath import iv

from implicitreg.proofs.checker import diagonal as Dg
from implicitreg.proofs.checker.interval import endpoints, hi, lo, point, precision

F = Fraction


def _contains(x, value, width=F(1, 10 ** 25)):
    a, b = endpoints(x)
    return a <= value <= b and b - a <= width


def test_alpha_product_in_both_conventions():
    with precision(40):
        assert endpoints(Dg._alpha_product(F(1, 8), F(3), "product")) == (F(1, 8), F(1, 8))
        assert _contains(Dg._alpha_product(F(1, 10), F(3), "product"), F(1, 10))
        # factor convention, integer depth: alpha^D exactly (a point, no exp/log rounding)
        assert endpoints(Dg._alpha_product(F(1, 4), F(3), "factor")) == (F(1, 64), F(1, 64))
        assert endpoints(Dg._alpha_product(F(1, 2), F(2), "factor")) == (F(1, 4), F(1, 4))
        assert _contains(Dg._alpha_product(F(1, 10), F(3), "factor"), F(1, 1000))
        # real depth: exp(D log alpha), an enclosure of (1/4)^(5/2) = 1/32 and of (1/9)^(3/2) = 1/27
        assert _contains(Dg._alpha_product(F(1, 4), F(5, 2), "factor"), F(1, 32))
        assert _contains(Dg._alpha_product(F(1, 9), F(3, 2), "factor"), F(1, 27))
        assert not _contains(Dg._alpha_product(F(1, 4), F(5, 2), "factor"), F(1, 4) ** 5)


A2 = [[F(1), F(1, 2), F(1, 2)], [F(0), F(1), F(-1)]]     # x* = (2, 0, 0) for y = (2, 0); S = {0}


def test_instance_constants_by_hand():
    with precision(40):
        env = Dg._instance_constants(A2, [F(2), F(0), F(0)], [0], F(1, 2), F(5, 2), 3)
        exact_values = {"rho": F(1, 2), "N": 3, "s": 1, "n": 2, "m": 2, "D": F(5, 2), "p": F(5, 2),
                        # K2 = ||A_S^+ A_Sc||_{1->1}: A_S = (1, 0)^T, A_S^+ = (1, 0), columns 1/2 and 1/2
                        "K2": F(1, 2)}
        for name, value in exact_values.items():
            assert endpoints(env[name]) == (value, value), name
        assert env["_K2_exact"] == F(1, 2)
        a, b = endpoints(env["K1star"])                                  # K1* = |log 2| = 0.693147180559945309...
        assert F(693147180559945, 10 ** 15) <= a <= b <= F(693147180559946, 10 ** 15)
        # two support entries: K1* is the larger |log|x_i||: |log(1/8)| = 3 log 2 > |log 3|
        env = Dg._instance_constants([[F(1), F(0), F(1)], [F(0), F(1), F(1)]], [F(1, 8), F(3), F(0)], [0, 1],
                                     F(0), F(3), 3)
        a, b = endpoints(env["K1star"])
        assert F(2079441541679835, 10 ** 15) <= a <= b <= F(2079441541679836, 10 ** 15)
        assert endpoints(env["K2"]) == (F(2), F(2))                      # A_S = I: the column (1, 1) has l1 norm 2
        assert endpoints(env["s"]) == (2, 2) and endpoints(env["n"]) == (1, 1)


def _point_env(rho, K2, eps, depth, n=1):
    env0 = {"rho": point(rho), "K2": point(K2), "n": iv.mpf(n)}
    # one support entry with sign +1; w_0 = 1 + eps, so ||w_S - sigma||_inf = eps exactly
    return Dg._point_constants(env0, [point(1 + eps)], [0], [1], point(F(1, 4)), depth)


def test_point_constants_and_when_M0_exists():
    with precision(40):
        env = _point_env(F(1, 4), F(1), F(1, 4), F(3))
        assert endpoints(env["eps"]) == (F(1, 4), F(1, 4))
        assert endpoints(env["rho_a"]) == (F(1, 2), F(1, 2))             # rho + K2 eps
        assert endpoints(env["rho_minus"]) == (F(0), F(0))               # max(rho - K2 eps, 0)
        a, b = endpoints(env["K1"])              # |w_0 - log(1/alpha_prod)| = log 4 - 5/4 = 0.136294361119890618...
        assert F(136294361119890, 10 ** 15) <= a <= b <= F(136294361119891, 10 ** 15)
        assert _contains(env["M0"], F(1, 2))                             # n = 1: M0 = H^{-1}(H(rho_a)) = rho_a
        assert endpoints(_point_env(F(1, 2), F(1), F(1, 8), F(3))["rho_minus"]) == (F(3, 8), F(3, 8))
        assert "M0" not in _point_env(F(1, 4), F(1), F(1, 4), F(2))     # D = 2: no M0
        assert "M0" not in _point_env(F(1, 2), F(1), F(1, 2), F(3))     # rho_a = 1 exactly: no M0
        assert "M0" not in _point_env(F(1, 2), F(1), F(1), F(3))        # rho_a = 3/2: no M0
        assert "M0" in _point_env(F(1, 4), F(1), F(1, 4), F(5, 2))       # D = 5/2 > 2
