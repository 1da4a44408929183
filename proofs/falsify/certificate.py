"""The refutation certificate: exact instance, x*, rho, a Krawczyk box of the dual variable, the lhs and the
bound in interval arithmetic, and the margin, re-verified by the independent checker before it is returned."""
from __future__ import annotations

import math
from fractions import Fraction

from implicitreg.errors import CertificateError, HypothesisNotMetError
from implicitreg.numerics.exact import fraction_str
from implicitreg.proofs.falsify.conjecture import Conjecture
from implicitreg.proofs.falsify.constants import MIN_MARGIN


def refutation_certificate(conj: Conjecture, instance, depth, alpha, alpha_convention: str = "product") -> dict:
    """A sealed refutation certificate for ``conj`` at (instance, depth, alpha), re-verified by the checker.

    Raises :class:`HypothesisNotMetError` when the checker cannot recompute a quantity the bound names, or the
    instance is not certifiable (A without full row rank, x* not unique), and :class:`CertificateError` when the
    violation is not proved (a producer bug or a violation inside the rounding).
    """
    from decimal import Decimal

    from implicitreg import __version__
    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.dual_limit import gradient_flow_limit
    from implicitreg.numerics.exact import rank
    from implicitreg.proofs import certify
    from implicitreg.proofs.checker import check as checker, refutation
    from implicitreg.proofs.checker.interval import (CheckFailure, ball_from_interval, decimal_text, endpoints, lo,
                                                     point, precision)

    missing = [n for n in conj.names + [conj.lhs] if n not in refutation.QUANTITIES]
    if missing:
        raise HypothesisNotMetError(f"the checker does not recompute {', '.join(missing)}")
    if rank(instance.A) != instance.m:
        raise HypothesisNotMetError("A has dependent rows: a certificate needs independent dual equations")
    bp = l1_minimizer(instance)
    if not bp.unique or bp.rho_certificate is None:
        raise HypothesisNotMetError("x* is not unique")
    rc = bp.rho_certificate
    D = Fraction(depth)
    alpha = Fraction(alpha)
    smallest = alpha if alpha_convention == "product" else alpha ** D
    dps = 60 + max(0, math.ceil(-math.log10(smallest)))
    res = gradient_flow_limit(instance, D, alpha, alpha_convention=alpha_convention, digits=30)
    with precision(dps):
        nu = certify.diagonal._newton_polish(instance, D, alpha, alpha_convention, res.nu)
        centre = [Fraction(Decimal(certify.common._dec_text(certify.common._mp_fraction(v)))) for v in nu]
        radius = [max(abs(c), Fraction(1)) * Fraction(1, 10 ** (certify.CENTRE_DIGITS - 10)) for c in centre]
    cert = {
        "format": refutation.FORMAT, "kind": "refutation",
        "theorem": {"name": f"conjecture: {conj.lhs} {'<=' if conj.side == 'upper' else '>='} {conj.text}",
                    "title": "a conjectured bound, refuted by a counterexample",
                    "claim": f"On this instance at this alpha ({alpha_convention} convention, depth {fraction_str(D)}) "
                             f"{conj.lhs} {'>' if conj.side == 'upper' else '<'} {conj.text}: the conjectured "
                             f"{conj.side} bound is violated (by at least the stated margin).",
                    "provenance": {"kind": "conjecture", "source": "stated by the user of implicitreg falsify"}},
        "instance": instance.to_json(), "depth": fraction_str(D), "alpha_convention": alpha_convention,
        "alpha": fraction_str(alpha),
        "basis_pursuit": {"x_star": [fraction_str(v) for v in bp.x], "value": fraction_str(bp.value),
                          "lambda": [fraction_str(v) for v in bp.certificate]},
        "rho": {"support": list(bp.support), "signs": list(bp.signs), "value": fraction_str(rc.value),
                "lambda": [fraction_str(v) for v in rc.lam], "v": [fraction_str(v) for v in rc.v]},
        "nu": [{"mid": certify.common._dec_text(c), "rad": decimal_text(r, 2, "up")} for c, r in zip(centre, radius)],
        "conjecture": {"lhs": conj.lhs, "side": conj.side, "expr": conj.text},
        "tool": {"name": "implicitreg", "version": __version__, "checker_dps": dps},
    }
    try:
        with precision(dps):
            env = refutation.environment(cert)
            lhs_iv, bound_iv = env[conj.lhs], refutation.evaluate_bound(conj.text, env)
            cert["x_inf"] = [ball_from_interval(v, certify.CENTRE_DIGITS - 15) for v in env["_x_inf"]]
            cert["lhs_value"] = ball_from_interval(lhs_iv, certify.CENTRE_DIGITS - 15)
            cert["bound_value"] = ball_from_interval(bound_iv, certify.CENTRE_DIGITS - 15)
            big, small = (lhs_iv, bound_iv) if conj.side == "upper" else (bound_iv, lhs_iv)
            if not lo(big - small) > 0:
                raise CertificateError("the violation is inside the rounding: not certified")
            r = 1 + MIN_MARGIN
            if lo(small) > 0:  # the largest 12-digit r with big >= r small
                r = max(r, Fraction(Decimal(decimal_text(endpoints(big / small)[0], 12, "down"))))
            if not lo(big - point(r) * small) > 0:
                raise CertificateError("the margin is inside the rounding: not certified")
    except CheckFailure as exc:
        raise CertificateError(f"cannot certify the counterexample: {exc}") from None
    cert["margin"] = {"ratio_lo": decimal_text(r, 12, "down"),
                      "meaning": "lhs >= ratio_lo x bound and lhs > bound" if conj.side == "upper" else
                                 "bound >= ratio_lo x lhs and bound > lhs"}
    cert = certify.seal(cert)
    try:
        checker.check_certificate(cert)
    except CheckFailure as exc:
        raise CertificateError(f"the produced refutation certificate does not verify: {exc}") from None
    return cert
