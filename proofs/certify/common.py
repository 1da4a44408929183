"""What every certificate producer shares: the format tag, the file text and its content hash, exact and decimal
number texts, provenance and tool records."""
from __future__ import annotations

import json
from fractions import Fraction

import mpmath

from implicitreg import __version__
from implicitreg.numerics.exact import fraction_str
from implicitreg.proofs.checker import check as checker
from implicitreg.proofs.checker.interval import decimal_text, endpoints

FORMAT = checker.FORMAT
#: digits of the nu-box centre and of every ball midpoint; the box radius is 10^-(CENTRE_DIGITS-10) |nu|.
CENTRE_DIGITS = 45
RATIO_DIGITS = 12


def _provenance(kind, source, proof=None, note=""):
    out = {"kind": kind, "source": source}
    if proof:
        out["proof"] = proof
    if note:
        out["note"] = note
    return out


def dumps(cert: dict) -> str:
    """The file text: sorted keys, two-space indent, trailing newline (byte-identical for equal content)."""
    return json.dumps(cert, sort_keys=True, indent=2, ensure_ascii=True) + "\n"


def seal(cert: dict) -> dict:
    """Add the content hash (sha256 of the canonical JSON without the hash)."""
    body = {k: v for k, v in cert.items() if k != "sha256"}
    body["sha256"] = checker.content_hash(body)
    return body


def _exact_list(v):
    return [fraction_str(Fraction(c)) for c in v]


def _ratio_claim(ratio) -> dict:
    a, b = endpoints(ratio)
    return {"lo": decimal_text(a, RATIO_DIGITS, "down"), "hi": decimal_text(b, RATIO_DIGITS, "up")}


def _tool(dps: int) -> dict:
    return {"name": "implicitreg", "version": __version__, "checker_dps": dps}


def _mp_fraction(v) -> Fraction:
    from implicitreg.proofs.checker.interval import to_fraction

    return to_fraction(mpmath.mpf(v))


def _dec_text(q: Fraction) -> str:
    return decimal_text(q, CENTRE_DIGITS, "nearest") if q != 0 else "0"
