"""Tightness certificates: JSON files proving "on this instance, for these alpha, the GF-limit error
lies in [lo, hi] * bound(alpha)" to someone who does not trust implicitreg (issue 8).

The producer computes with implicitreg (exact basis pursuit, the certified dual solve, the closed-form
families of ``theory.examples``, the deep-linear numerics) and writes what the standalone checker
(:mod:`implicitreg.proofs.checker`, standard library + mpmath only) re-verifies: exact LP certificates in
rationals, Krawczyk-proved boxes for the dual variable, interval enclosures of x_inf, the error and the
bound, the ratio interval, and for the 1 x N families the SymPy limit of error / bound.
The format is documented in ``docs/certificates.md``.

Every certificate is checked by the checker before it is returned, and the bytes are deterministic:
sorted keys, strings for every number, a fixed working precision.

One module per certificate kind: :mod:`.diagonal` (MS-D2, MS-D3, kink), :mod:`.deep_linear` (MC-LB, exact and
enclosure forms); :mod:`.common` holds the file text, the hash and the number texts they share. This module holds
the certificate sets (``implicitreg verify --certify``, ``proofs/reference_certificates/``) and writes them.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from implicitreg.numerics.instance import Instance

from .common import CENTRE_DIGITS, FORMAT, RATIO_DIGITS, dumps, seal
from .deep_linear import deep_linear_certificate
from .diagonal import diagonal_certificate

__all__ = ["CENTRE_DIGITS", "FORMAT", "RATIO_DIGITS", "THEOREMS", "deep_linear_certificate", "diagonal_certificate",
           "dumps", "reference_certificates", "seal", "tightness_certificates", "write_all"]

THEOREMS = ("MS-D2", "MS-D3", "kink", "MC-LB")


# --- the certificates behind `implicitreg verify --certify DIR` -------------------------------------------

def tightness_certificates() -> list[tuple[str, dict]]:
    """Every tightness certificate: MS-D2, MS-D3 (D = 3 and D = 5/2), the WAH kink family (p = 2, 3, 4), MC-LB."""
    fam = Instance.from_lists([[1, "1/2"]], [1], name="row_1_half")
    kink = Instance.from_lists([[1, "9/10"]], [1], name="kink_eps_1_10")
    out = [
        ("ms_d2_row_r1_2", diagonal_certificate(fam, 2, ["1/1000", "1/1000000", "1e-12"], theorem="MS-D2")),
        ("ms_d3_row_r1_2_D3", diagonal_certificate(fam, 3, ["1/1000", "1/1000000"], theorem="MS-D3")),
        ("ms_d3_row_r1_2_D5_2", diagonal_certificate(fam, Fraction(5, 2), ["1/1000", "1/1000000"],
                                                      theorem="MS-D3")),
        ("kink_eps_1_10_p2", diagonal_certificate(kink, 2, ["1/100", "1/1000000"], theorem="kink")),
        ("kink_eps_1_10_p3", diagonal_certificate(kink, 3, ["1/100", "1/1000"], theorem="kink")),
        ("kink_eps_1_10_p4", diagonal_certificate(kink, 4, ["1/100", "1/1000"], theorem="kink")),
        ("mc_lb_equality_L3", deep_linear_certificate(MC_LB_X, MC_LB_Y, 3)),
    ]
    return out


#: An equality-family instance (deep_linear.md §3): Sigma = Q diag(2, 1/2) Q^T, w* = 8 (3/5, 4/5) = 8 q_1.
MC_LB_X = [["6/5", "8/5"], ["-4/5", "3/5"]]
MC_LB_Y = [16, 0]


#: wah.md §7 "random" (m = 3, N = 5, unique x*, rho = 0.25514): not a tightness family, but a certificate that the
#: MS-D3 upper and lower bounds hold there exercises the multi-dimensional Krawczyk test and negative values.
RANDOM_A = [["-0.111", "0.120", "-0.370", "-0.240", "-1.197"], ["0.209", "-0.972", "-0.755", "0.324", "-0.109"],
            ["0.210", "-0.391", "0.235", "0.665", "0.353"]]
RANDOM_Y = ["0.973", "-0.039", "-0.886"]


#: ordinary regression data (not a constructed family): ||w*||^(1/3) is irrational and w* is not an eigenvector of
#: Sigma, so MC-LB is certified in the enclosure form with lo(S) - hi(S_LB) > 0
ORDINARY_X = [[1, 2], [3, -1], [0, 2]]
ORDINARY_Y = [1, 2, 3]


def reference_certificates() -> list[tuple[str, dict]]:
    """What ``proofs/reference_certificates/`` holds: the tightness certificates plus the m = 3 instance and MC-LB on
    ordinary data (enclosure form)."""
    rand = Instance.from_lists(RANDOM_A, RANDOM_Y, name="wah_random")
    return tightness_certificates() + [
        ("ms_d3_wah_random_D3", diagonal_certificate(rand, 3, ["1/1000000"], theorem="MS-D3")),
        ("mc_lb_ordinary_L3", deep_linear_certificate(ORDINARY_X, ORDINARY_Y, 3))]


def write_all(directory, certificates=None) -> list[Path]:
    """Write every tightness certificate (or the given (stem, certificate) pairs) into ``directory``."""
    from implicitreg.errors import InvalidParameterError

    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise InvalidParameterError(f"the certificate directory {str(directory)!r} exists and is not a directory")
    paths = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for stem, cert in (tightness_certificates() if certificates is None else certificates):
            path = directory / f"{stem}.json"
            path.write_text(dumps(cert), encoding="utf-8")
            paths.append(path)
    except OSError as exc:
        raise InvalidParameterError(f"cannot write certificates into {str(directory)!r}: {exc.strerror}") from None
    return paths
