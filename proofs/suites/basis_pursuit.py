"""verify suite: exact basis pursuit against vertex enumeration, and the rho identities (dln.md §3, wah.md §3, §7).

Built-in instances: A = [1, r] (rho = |r|), line, plane, random (decimal data read exactly), kink
A = [1, 1 - eps] (rho = 1 - eps), the two-dimensional face; ``thorough`` adds seeded random integer instances
with repeated columns.
"""
from __future__ import annotations

import random
from fractions import Fraction

from implicitreg.numerics.basis_pursuit import l1_minimizer
from implicitreg.numerics.exact import fraction_str
from implicitreg.numerics.instance import Instance, load_json_exact
from implicitreg.numerics.vertex_enumeration import enumerate_l1
from implicitreg.proofs.checks import Verdict
from implicitreg.proofs.derivations import rho_duality as rd
from implicitreg.theory.basis_pursuit import MAXIMAL_SUPPORT, RHO_DUALITY, RHO_NSP, RHO_UNIQUE

F = Fraction
#: wah.md §7 'random', as JSON numbers: read through their decimal text (0.120 is 3/25, not a binary float)
RANDOM_JSON = """{"A": [[-0.111, 0.120, -0.370, -0.240, -1.197],
                   [0.209, -0.972, -0.755, 0.324, -0.109],
                   [0.210, -0.391, 0.235, 0.665, 0.353]],
             "y": [0.973, -0.039, -0.886]}"""
#: what a spec may state; run() compares each with the exact LP's result. A spec naming another key, or leaving out
#: what every spec states (uniqueness, support and a rho), fails its row: a misspelt key would drop its check silently
SPEC_KEYS = frozenset({"value", "unique", "support", "rho", "rho_max", "rho_approx", "dimension"})
RHO_KEYS = ("rho", "rho_max", "rho_approx")


def spec_problem(spec: dict) -> str:
    """'' when ``spec`` is empty (no expectations) or well formed, else what is wrong with it."""
    if not spec:
        return ""
    unknown = sorted(str(k) for k in set(spec) - SPEC_KEYS)
    if unknown:
        return "unknown spec key(s) " + ", ".join(unknown)
    missing = [k for k in ("unique", "support") if k not in spec]
    if not any(k in spec for k in RHO_KEYS):
        missing.append("rho")
    return "spec lacks " + ", ".join(missing) if missing else ""


def builtin_instances(thorough: bool = False) -> list[tuple[Instance, dict]]:
    """(instance, expected spec values) pairs; expectations come from dln.md / wah.md, not from the code."""
    out = []
    for r in (F(1, 3), F(-2, 5), F(9, 10)):
        out.append((Instance.from_lists([[1, r]], [1], name=f"row[1,{fraction_str(r)}]"),
                    {"rho": abs(r), "value": F(1), "unique": True, "support": (0,)}))
    out.append((Instance.from_lists([[1, 1, 1], [3, 0, 1]], [3, 3], name="line"),
                {"value": F(3), "unique": False, "support": (0, 1, 2), "rho_max": F(0)}))
    out.append((Instance.from_lists([[2, -1, 0, 1], [0, 3, 2, 0]], [0, 6], name="plane"),
                {"value": F(3), "unique": False, "support": (0, 1, 2), "rho_max": F(1, 2)}))
    out.append((Instance.from_data(load_json_exact(RANDOM_JSON), name="random"),
                {"unique": True, "support": (2, 3, 4), "rho_approx": 0.25514}))
    for eps in (F(3, 10), F(1, 10), F(1, 100)):
        out.append((Instance.from_lists([[1, 1 - eps]], [1], name=f"kink(eps={fraction_str(eps)})"),
                    {"rho": 1 - eps, "value": F(1), "unique": True, "support": (0,)}))
    out.append((Instance.from_lists([[1, 1, 1, 1, F(3, 10)], [0, 1, 2, 3, 1]], [1, 1], name="face2"),
                {"unique": False, "support": (0, 1, 2, 3), "rho_max": F(3, 10), "dimension": 2}))
    if thorough:
        rng = random.Random(20240611)
        for k in range(30):
            m, N = rng.randint(1, 3), rng.randint(3, 6)
            A = [[rng.randint(-3, 3) for _ in range(N)] for _ in range(m)]
            for row in A:
                row[-1] = row[0]          # a repeated column: degenerate on purpose
            x = [rng.choice([0, 0, 1, -2]) for _ in range(N)]
            y = [sum(a * b for a, b in zip(row, x)) for row in A]
            out.append((Instance.from_lists(A, y, name=f"random-int-{k}"), {}))
    return out


def _verdict(theorem, instance, observed, bound, passed, note="", margin="") -> Verdict:
    return Verdict(theorem=theorem.name, provenance=theorem.provenance.kind, instance=instance, depth="-",
                   alpha_range="-", observed=observed, bound=bound, margin=margin, passed=bool(passed), note=note,
                   alpha_convention="-")


#: wah.md §7 prints rho = 0.25514 to 5 decimals: half a unit in the last printed place
RHO_APPROX_TOL = 5e-6
#: the rho-NSP row enumerates sign patterns of the columns off S: only instances up to this many columns
NSP_MAX_COLUMNS = 8


def lp_matches_enumeration(lp: tuple, enumerated: tuple) -> bool:
    """The exact LP and vertex enumeration give the same (value, unique, support, signs): every entry equal."""
    return len(lp) == len(enumerated) and all(a == b for a, b in zip(lp, enumerated))


def face_contains_every_vertex(contained) -> bool:
    """Every optimal vertex found by enumeration lies on the LP's face (``contained[k]``: vertex k on the face)."""
    return all(contained)


def face_lists_every_optimal_vertex(face_vertices, vertices) -> bool:
    """The face's vertex list (None: too many to list, allowed) is exactly the set of enumerated optimal vertices:
    none missing, none extra."""
    return face_vertices is None or set(face_vertices) == set(vertices)


def spec_agrees(spec: dict, value, unique, support, rho, dimension) -> bool:
    """Every expectation the spec states equals the LP's result (a key absent from the spec is not checked):
    value, unique, support, rho, rho_max (the largest rho over the face, which the LP reports as its rho) and the
    face's dimension exactly; rho_approx within ``RHO_APPROX_TOL`` (strictly)."""
    exact = [("value", value), ("unique", unique), ("support", support), ("rho", rho), ("rho_max", rho),
             ("dimension", dimension)]
    return (all(spec[key] == got for key, got in exact if key in spec)
            and ("rho_approx" not in spec or abs(float(rho) - spec["rho_approx"]) < RHO_APPROX_TOL))


def maximal_support_passes(matches: bool, every_vertex_on_face: bool, lists_every_vertex: bool, spec_ok: bool,
                           problem: str) -> bool:
    """The BP-maximal-support verdict: LP = enumeration, the face holds and lists every optimal vertex, the spec
    agrees, and the spec is well formed (``problem`` empty)."""
    return bool(matches and every_vertex_on_face and lists_every_vertex and spec_ok and not problem)


def nsp_row_applies(unique: bool, columns: int, max_columns: int = NSP_MAX_COLUMNS) -> bool:
    """The rho-NSP row is built for a unique minimizer with at most ``max_columns`` columns."""
    return bool(unique) and columns <= max_columns


def run(thorough: bool = False) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for inst, spec in builtin_instances(thorough):
        res = l1_minimizer(inst)
        ref = enumerate_l1(inst.A, inst.y)
        matches = lp_matches_enumeration((res.value, res.unique, res.support, res.signs),
                                         (ref.value, ref.unique, ref.support, ref.signs))
        on_face = face_contains_every_vertex([res.face.contains(v) for v in ref.vertices])
        lists_all = face_lists_every_optimal_vertex(res.face.vertices, ref.vertices)
        agree = matches and on_face and lists_all
        spec_ok = spec_agrees(spec, res.value, res.unique, res.support, res.rho, res.face.dimension)
        problem = spec_problem(spec)
        verdicts.append(_verdict(
            MAXIMAL_SUPPORT, inst.name,
            f"min {fraction_str(res.value)}, S={list(res.support)}, unique={res.unique}, dim={res.face.dimension}",
            f"vertex enumeration ({len(ref.vertices)} optimal vertices)" + (" + spec" if spec else ""),
            maximal_support_passes(matches, on_face, lists_all, spec_ok, problem),
            note=problem or ("" if agree and spec_ok else "exact LP, vertex enumeration or spec disagree")))
        dual = rd.check_rho_duality(inst.A, res.support, res.signs)
        verdicts.append(_verdict(RHO_DUALITY, inst.name, f"rho = {fraction_str(res.rho)}", dual.detail,
                                 dual.passed))
        uniq = rd.check_uniqueness_iff(inst)
        verdicts.append(_verdict(RHO_UNIQUE, inst.name, uniq.detail.split(",")[0], "unique by vertex enumeration",
                                 uniq.passed, note="" if uniq.passed else uniq.detail))
        if nsp_row_applies(res.unique, len(inst.A[0])):
            nsp = rd.check_rho_le_nsp(inst.A, res.support, res.signs)
            verdicts.append(_verdict(RHO_NSP, inst.name, nsp.detail.split(",")[0], nsp.detail.split(", ", 1)[1],
                                     nsp.passed))
    line = rd.check_line_counterexample()
    verdicts.append(_verdict(RHO_UNIQUE, "line (interior minimizer)", line.detail,
                             "A_S injective is necessary", line.passed,
                             note="dln.md's 'rho < 1 iff unique' needs A_S injective (recorded in rho_duality.py)"))
    weak = rd.check_weak_duality_symbolic()
    verdicts.append(_verdict(RHO_DUALITY, "symbolic 2x4", weak.detail, "identity", weak.passed))
    return verdicts
