"""The suite behind ``implicitreg verify``: every stated theorem on built-in instances.

Each suite module under :mod:`implicitreg.proofs.suites` exposes ``run(thorough: bool) -> list[Verdict]``.
"""
from __future__ import annotations

import importlib
import json
import sys
from typing import Iterable

from implicitreg.proofs.checks import Verdict

SUITES = (
    "implicitreg.proofs.suites.basis_pursuit",
    "implicitreg.proofs.suites.selection",
    "implicitreg.proofs.suites.deep_linear",
    "implicitreg.proofs.suites.diagonal",
)

COLUMNS = (("theorem", "theorem"), ("provenance", "provenance"), ("instance", "instance"), ("depth", "depth"),
           ("alpha_range", "alpha range"), ("alpha_convention", "alpha conv."), ("observed", "observed"),
           ("bound", "bound"), ("margin", "margin"), ("slope", "slope"), ("slope_predicted", "predicted"),
           ("passed", "result"))


def run_verify(thorough: bool = False, suites: Iterable[str] = SUITES, only: str | None = None) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for name in suites:
        if only and only not in name.rsplit(".", 1)[-1]:
            continue
        module = importlib.import_module(name)
        verdicts.extend(module.run(thorough=thorough))
    return verdicts


def format_table(verdicts: list[Verdict]) -> str:
    rows = [[h for _, h in COLUMNS]]
    for v in verdicts:
        d = v.to_json()
        rows.append([("PASS" if d[k] else "FAIL") if k == "passed" else str(d[k]) for k, _ in COLUMNS])
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failed = sum(not v.passed for v in verdicts)
    lines.append("")
    lines.append(f"{len(verdicts) - failed} passed, {failed} failed")
    notes = list(dict.fromkeys(f"- {v.theorem} on {v.instance}: {v.note}" for v in verdicts if v.note))
    if notes:
        lines.append("")
        lines.append("notes:")
        lines.extend(notes)
    return "\n".join(lines)


def main(thorough: bool = False, as_json: bool = False, only: str | None = None, out=None,
         certify: str | None = None) -> int:
    out = sys.stdout if out is None else out  # looked up per call (sys.stdout may be replaced after import)
    verdicts = run_verify(thorough=thorough, only=only)
    certificates = []
    if certify:  # tightness certificates of every tightness claim (proofs/certify.py; check with `implicitreg check`)
        from implicitreg.proofs.certify import write_all

        certificates = [str(path) for path in write_all(certify)]
    if as_json:
        payload = {"verdicts": [v.to_json() for v in verdicts], "passed": all(v.passed for v in verdicts)}
        if certify:
            payload["certificates"] = certificates
        json.dump(payload, out, indent=2)
        out.write("\n")
    else:
        out.write(format_table(verdicts) + "\n")
        if certify:
            out.write("\ncertificates (verify with `implicitreg check`):\n" +
                      "".join(f"- {c}\n" for c in certificates))
    return 0 if verdicts and all(v.passed for v in verdicts) else 1
