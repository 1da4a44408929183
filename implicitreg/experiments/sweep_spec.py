"""A sweep specification: what to compute, validated, and expanded into tasks.

A spec is a TOML file (read with :mod:`tomllib`) or a JSON file (numbers read as their decimal text). Format
(``docs/sweeps.md`` has the full reference)::

    name = "ms-worst-ratio"            # names the dataset
    digits = 30                        # certified significant digits asked of every observed value
    alpha_convention = "product"       # how the alphas below are read: "product" (u(0)^D = alpha) or "factor"
    alphas = ["1e-20"]                 # exact values, or {log10 = [-30, -2], count = 15} (a log grid)
    depths = [2, 3]                    # real depths >= 2: 2, 3, "5/2", 2.5
    certificates = false               # also emit a tightness certificate per task (MS-D2/MS-D3/kink)

    [family]                           # "random", "kink" or "files"
    kind = "random"
    entries = "gaussian"               # or "integer"
    m = [1, 3]                         # rows, inclusive range
    N = [3, 7]                         # columns (> m), inclusive range
    sparsity = [1, 2]                  # planted support size of x* (<= m), inclusive range
    seeds = [0, 1000]                  # one instance per seed in [start, stop)

    [[statements]]                     # or statements = ["MS-D2:upper_l1", ...]
    name = "MS-D2:upper_l1"            # THEOREM:BOUND of a registered theorem, or a named measurement
    depths = [2]                       # optional: this statement's depths (default: the spec's)

    [quick]                            # optional: overrides applied with --quick (CI sizes)
    family = {seeds = [0, 8]}

Every input is untrusted: sizes, counts, digits, exponents are bounded (:data:`LIMITS`), unknown keys are
rejected, nothing is evaluated. Errors raise :class:`~implicitreg.errors.InvalidParameterError`
(the CLI prints one line and exits 2).

:func:`expand` turns a spec into :class:`Task` objects: one per (instance, depth, alpha, statement), or per
(instance, depth, statement) for the fitted rates, which use the whole alpha grid. A task is a pure function of
its :attr:`Task.content` (exact instance data included), and :attr:`Task.key` is the SHA-256 of that content.
"""
from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

from implicitreg.errors import ImplicitRegError, InvalidParameterError
from implicitreg.numerics.precision import mpf_from

#: bounds on untrusted spec input
LIMITS = {
    "spec_bytes": 1 << 20,
    "tasks": 200_000,
    "digits": (5, 200),
    "m": 10,
    "N": 20,
    "entry_bound": 10 ** 6,
    "decimals": 6,
    "seed": 2 ** 32 - 1,
    "seeds": 100_000,
    "alphas": 200,
    "alpha_log10": (-300, 0),
    "depths": 16,
    "depth": (2, 64),
    "eps": 1000,
    "eps_log10": (-300, 0),
    "files": 10_000,
    "file_bytes": 1 << 20,
    "statements": 32,
    "name": 64,
}

FAMILIES = ("random", "kink", "files")
ENTRIES = ("gaussian", "integer")
CONVENTIONS = ("product", "factor")
TOP_KEYS = {"name", "description", "digits", "alpha_convention", "alphas", "depths", "certificates", "family",
            "statements", "quick", "figure"}
FAMILY_KEYS = {
    "random": {"kind", "entries", "m", "N", "sparsity", "seeds", "decimals", "bound"},
    "kink": {"kind", "eps"},
    "files": {"kind", "folder"},
}


class SpecError(InvalidParameterError):
    """The sweep specification is invalid (the message says where)."""


def _fail(where: str, msg: str):
    raise SpecError(f"sweep spec: {where}: {msg}")


# ---- exact numbers ------------------------------------------------------------------------------------------------

def exact_text(q: Fraction) -> str:
    """The canonical exact text of q: a decimal ("0.25", "1e-20") when q is a finite decimal, else "p/q"."""
    den, twos, fives = q.denominator, 0, 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{q.numerator}/{q.denominator}"
    e = max(twos, fives)
    n = q.numerator * 10 ** e // q.denominator
    with localcontext() as ctx:  # exact: enough precision for every digit of n
        ctx.prec = len(str(abs(n))) + 5
        d = Decimal(n).scaleb(-e).normalize()
    text = str(d).lower()
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}e{int(exp)}"
    return text


def _exact(value, where: str) -> Fraction:
    from implicitreg.numerics.exact import parse_exact

    try:
        return parse_exact(value, where)
    except ImplicitRegError as exc:
        _fail(where, str(exc).split(": ", 1)[-1])


def _int(value, where: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(where, f"expected an integer, got {type(value).__name__}")
    if not lo <= value <= hi:
        _fail(where, f"{value} is outside [{lo}, {hi}]")
    return value


def _range(value, where: str, lo: int, hi: int) -> tuple[int, int]:
    """An inclusive integer range: an integer k (= [k, k]) or [lo, hi]."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value, value]
    if not isinstance(value, list) or len(value) != 2:
        _fail(where, "expected an integer or [lo, hi]")
    a, b = (_int(v, where, lo, hi) for v in value)
    if a > b:
        _fail(where, f"empty range [{a}, {b}]")
    return a, b


def log_grid(lo, hi, count: int, where: str, bounds: tuple[int, int]) -> list[Fraction]:
    """count values 10^t, t evenly spaced in [lo, hi], each rounded to 6 significant digits (exact decimals)."""
    import mpmath

    lo, hi = _exact(lo, where + ".log10[0]"), _exact(hi, where + ".log10[1]")
    if not (bounds[0] <= lo <= bounds[1] and bounds[0] <= hi <= bounds[1]):
        _fail(where, f"log10 range must lie in [{bounds[0]}, {bounds[1]}]")
    if count == 1 and lo != hi:
        _fail(where, "count = 1 needs log10 = [t, t]")
    out = []
    for k in range(count):
        t = lo + (hi - lo) * Fraction(k, max(count - 1, 1))
        e = math.floor(t)
        with mpmath.workdps(30):
            f = t - e
            mant = mpmath.nstr(mpmath.power(10, mpf_from(f)), 6, strip_zeros=True)
        out.append(Fraction(Decimal(mant).scaleb(e)))
    return sorted(set(out), reverse=True)


def _values(value, where: str, max_count: int, log_bounds: tuple[int, int]) -> list[Fraction]:
    """A list of exact numbers, or {log10 = [lo, hi], count = n}."""
    if isinstance(value, Mapping):
        extra = set(value) - {"log10", "count"}
        if extra or set(value) != {"log10", "count"}:
            _fail(where, "a grid is {log10 = [lo, hi], count = n}")
        rng = value["log10"]
        if not isinstance(rng, list) or len(rng) != 2:
            _fail(where + ".log10", "expected [lo, hi]")
        count = _int(value["count"], where + ".count", 1, max_count)
        return log_grid(rng[0], rng[1], count, where, log_bounds)
    if not isinstance(value, list) or not value:
        _fail(where, "expected a non-empty list of numbers or {log10 = [lo, hi], count = n}")
    if len(value) > max_count:
        _fail(where, f"{len(value)} values, at most {max_count}")
    return [_exact(v, f"{where}[{i}]") for i, v in enumerate(value)]


# ---- the spec -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StatementSpec:
    name: str
    depths: tuple[Fraction, ...]
    alphas: tuple[Fraction, ...]


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep specification (see the module docstring). ``source`` is where it was read from."""

    name: str
    description: str
    digits: int
    alpha_convention: str
    alphas: tuple[Fraction, ...]
    depths: tuple[Fraction, ...]
    certificates: bool
    family: dict
    statements: tuple[StatementSpec, ...]
    figure: str | None = None
    quick: bool = False
    source: str = ""
    base_dir: str = "."
    raw: dict = field(default_factory=dict, compare=False, repr=False)


def read_spec_file(path: str | Path) -> dict:
    """The raw mapping of a TOML (``.toml``) or JSON (anything else) spec file; numbers keep their decimal text."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > LIMITS["spec_bytes"]:
            _fail(str(path), f"file is {size} bytes, at most {LIMITS['spec_bytes']}")
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"sweep spec: cannot read {str(path)!r}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        _fail(str(path), "not a UTF-8 text file")
    if path.suffix.lower() == ".toml":
        try:
            raw = tomllib.loads(text, parse_float=Decimal)
        except tomllib.TOMLDecodeError as exc:
            _fail(str(path), f"not valid TOML: {exc}")
        except RecursionError:  # tomllib parses nested arrays recursively: [[[[...]]]] exhausts the stack
            _fail(str(path), "not valid TOML: nested too deeply")
    else:
        from implicitreg.numerics.instance import load_json_exact

        try:
            raw = load_json_exact(text)
        except ImplicitRegError as exc:
            _fail(str(path), str(exc))
    if not isinstance(raw, dict):
        _fail(str(path), "the spec must be a table/object")
    return raw


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_spec(source, *, quick: bool = False) -> SweepSpec:
    """Read and validate a spec from a path (TOML/JSON) or a mapping; ``quick`` applies its ``[quick]`` table."""
    if isinstance(source, Mapping):
        raw, where, base_dir = dict(source), "<mapping>", "."
    else:
        raw, where, base_dir = read_spec_file(source), str(source), str(Path(source).resolve().parent)
    return parse_spec(raw, quick=quick, source=where, base_dir=base_dir)


def parse_spec(raw: Mapping, *, quick: bool = False, source: str = "<mapping>", base_dir: str = ".") -> SweepSpec:
    from implicitreg.experiments.sweep_tasks import check_statement

    unknown = set(raw) - TOP_KEYS
    if unknown:
        _fail("top level", f"unknown key(s) {sorted(unknown)} (allowed: {sorted(TOP_KEYS)})")
    q = raw.get("quick", {})
    if not isinstance(q, Mapping):
        _fail("quick", "expected a table of overrides")
    if "quick" in q:
        _fail("quick", "cannot override 'quick'")
    spec = _merge(dict(raw), dict(q)) if quick else dict(raw)
    spec.pop("quick", None)

    name = spec.get("name")
    if not isinstance(name, str) or not name or len(name) > LIMITS["name"] or not all(
            c.isalnum() or c in "-_." for c in name):
        _fail("name", f"expected a short name of letters, digits, '-', '_', '.' (at most {LIMITS['name']} characters)")
    description = spec.get("description", "")
    if not isinstance(description, str):
        _fail("description", "expected a string")
    digits = _int(spec.get("digits", 30), "digits", *LIMITS["digits"])
    conv = spec.get("alpha_convention", "product")
    if conv not in CONVENTIONS:
        _fail("alpha_convention", f"must be one of {CONVENTIONS}, got {conv!r}")
    certificates = spec.get("certificates", False)
    if not isinstance(certificates, bool):
        _fail("certificates", "expected true or false")
    figure = spec.get("figure")
    if figure is not None:
        from implicitreg.experiments.sweep_figures import FIGURES

        if figure not in FIGURES:
            _fail("figure", f"unknown figure {figure!r} (known: {sorted(FIGURES)})")

    alphas = _values(spec.get("alphas"), "alphas", LIMITS["alphas"], LIMITS["alpha_log10"]) \
        if "alphas" in spec else _fail("alphas", "missing")
    _check_alphas(alphas, "alphas")
    depths = _depths(spec.get("depths"), "depths") if "depths" in spec else _fail("depths", "missing")

    family = _family(spec.get("family"), base_dir)
    stmts = spec.get("statements")
    if not isinstance(stmts, list) or not stmts:
        _fail("statements", "expected a non-empty list")
    if len(stmts) > LIMITS["statements"]:
        _fail("statements", f"{len(stmts)} statements, at most {LIMITS['statements']}")
    statements = []
    for i, s in enumerate(stmts):
        where = f"statements[{i}]"
        if isinstance(s, str):
            s = {"name": s}
        if not isinstance(s, Mapping) or not isinstance(s.get("name"), str):
            _fail(where, "expected a statement name or {name = ..., depths = [...], alphas = ...}")
        extra = set(s) - {"name", "depths", "alphas"}
        if extra:
            _fail(where, f"unknown key(s) {sorted(extra)}")
        sd = _depths(s["depths"], where + ".depths") if "depths" in s else depths
        sa = _values(s["alphas"], where + ".alphas", LIMITS["alphas"], LIMITS["alpha_log10"]) \
            if "alphas" in s else alphas
        _check_alphas(sa, where + ".alphas")
        msg = check_statement(s["name"], family["kind"], sd, len(sa))
        if msg:
            _fail(where, msg)
        statements.append(StatementSpec(s["name"], tuple(sd), tuple(sa)))
    out = SweepSpec(name, description, digits, conv, tuple(alphas), tuple(depths), certificates, family,
                    tuple(statements), figure, quick, source, base_dir, dict(raw))
    n = count_tasks(out)
    if n > LIMITS["tasks"]:
        _fail("size", f"{n} tasks, at most {LIMITS['tasks']}")
    return out


def _check_alphas(alphas, where):
    for a in alphas:
        if a <= 0:
            _fail(where, f"alpha must be > 0, got {exact_text(a)}")
        if a > 1 or a < Fraction(1, 10 ** -LIMITS["alpha_log10"][0]):
            _fail(where, f"alpha = {exact_text(a)} outside [1e{LIMITS['alpha_log10'][0]}, 1]")


def _depths(value, where) -> list[Fraction]:
    if not isinstance(value, list) or not value:
        _fail(where, "expected a non-empty list of depths")
    if len(value) > LIMITS["depths"]:
        _fail(where, f"{len(value)} depths, at most {LIMITS['depths']}")
    out = []
    for i, v in enumerate(value):
        d = _exact(v, f"{where}[{i}]")
        lo, hi = LIMITS["depth"]
        if not lo <= d <= hi:
            _fail(f"{where}[{i}]", f"depth {exact_text(d)} outside [{lo}, {hi}]")
        if d.denominator > 1000:
            _fail(f"{where}[{i}]", f"depth {exact_text(d)}: denominator above 1000")
        out.append(d)
    return out


def _family(value, base_dir) -> dict:
    if not isinstance(value, Mapping):
        _fail("family", "expected a table with kind = 'random' | 'kink' | 'files'")
    kind = value.get("kind")
    if kind not in FAMILIES:
        _fail("family.kind", f"must be one of {FAMILIES}, got {kind!r}")
    extra = set(value) - FAMILY_KEYS[kind]
    if extra:
        _fail("family", f"unknown key(s) {sorted(extra)} for kind {kind!r} (allowed: {sorted(FAMILY_KEYS[kind])})")
    if kind == "random":
        entries = value.get("entries", "gaussian")
        if entries not in ENTRIES:
            _fail("family.entries", f"must be one of {ENTRIES}, got {entries!r}")
        m = _range(value.get("m", [1, 3]), "family.m", 1, LIMITS["m"])
        N = _range(value.get("N", [3, 6]), "family.N", 2, LIMITS["N"])
        if N[1] <= m[0]:
            _fail("family.N", "N must exceed m (underdetermined systems)")
        s = _range(value.get("sparsity", [1, 1]), "family.sparsity", 1, LIMITS["m"])
        if s[0] > m[1]:
            _fail("family.sparsity", "the planted support must not exceed m")
        seeds = value.get("seeds")
        if isinstance(seeds, list) and len(seeds) == 2 and all(isinstance(v, int) for v in seeds):
            a = _int(seeds[0], "family.seeds[0]", 0, LIMITS["seed"])
            b = _int(seeds[1], "family.seeds[1]", 0, LIMITS["seed"] + 1)
            if b <= a:
                _fail("family.seeds", f"empty range [{a}, {b})")
            if b - a > LIMITS["seeds"]:
                _fail("family.seeds", f"{b - a} seeds, at most {LIMITS['seeds']}")
            seed_list = list(range(a, b))
        else:
            _fail("family.seeds", "expected [start, stop) (two integers)")
        decimals = _int(value.get("decimals", 1), "family.decimals", 0, LIMITS["decimals"])
        bound = _int(value.get("bound", 5), "family.bound", 1, LIMITS["entry_bound"])
        return {"kind": kind, "entries": entries, "m": m, "N": N, "sparsity": s, "seeds": seed_list,
                "decimals": decimals, "bound": bound}
    if kind == "kink":
        eps = _values(value.get("eps"), "family.eps", LIMITS["eps"], LIMITS["eps_log10"]) \
            if "eps" in value else _fail("family.eps", "missing")
        for e in eps:
            if not 0 < e < 1:
                _fail("family.eps", f"eps must be in (0, 1), got {exact_text(e)}")
            if e < Fraction(1, 10 ** -LIMITS["eps_log10"][0]):  # listed values obey the grid's bound too
                _fail("family.eps", f"eps = {exact_text(e)} outside [1e{LIMITS['eps_log10'][0]}, 1)")
        return {"kind": kind, "eps": eps}
    folder = value.get("folder")
    if not isinstance(folder, str) or not folder:
        _fail("family.folder", "expected a folder of instance JSON files")
    path = Path(folder) if Path(folder).is_absolute() else Path(base_dir) / folder
    if not path.is_dir():
        _fail("family.folder", f"{folder!r} is not a folder")
    files = sorted(path.glob("*.json"))
    if not files:
        _fail("family.folder", f"no *.json instance files in {folder!r}")
    if len(files) > LIMITS["files"]:
        _fail("family.folder", f"{len(files)} files, at most {LIMITS['files']}")
    return {"kind": kind, "folder": str(path), "files": [str(f) for f in files]}


# ---- instances and tasks ------------------------------------------------------------------------------------------

def random_instance(family: Mapping, seed: int) -> dict:
    """The exact instance of ``seed``: A (m x N) with Gaussian entries rounded to ``decimals`` decimals (or integers
    in [-bound, bound]), x* with a planted support of the drawn size and nonzero integer entries in [-5, 5],
    y = A x*. Deterministic (numpy PCG64 seeded with ``seed``); redrawn while y = 0."""
    import numpy as np

    rng = np.random.default_rng(seed)
    (m_lo, m_hi), (N_lo, N_hi), (s_lo, s_hi) = family["m"], family["N"], family["sparsity"]
    for _ in range(100):
        m = int(rng.integers(m_lo, m_hi + 1))
        N = int(rng.integers(max(N_lo, m + 1), max(N_hi, m + 1) + 1))
        s = int(rng.integers(s_lo, min(s_hi, m) + 1))
        if family["entries"] == "gaussian":
            scale = 10 ** family["decimals"]
            A = [[Fraction(int(v), scale) for v in np.rint(rng.standard_normal(N) * scale)] for _ in range(m)]
        else:
            b = family["bound"]
            A = [[Fraction(int(v)) for v in rng.integers(-b, b + 1, size=N)] for _ in range(m)]
        support = sorted(int(j) for j in rng.choice(N, size=s, replace=False))
        x = [Fraction(0)] * N
        for j in support:
            x[j] = Fraction(int(rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5])))
        y = [sum((a * v for a, v in zip(row, x)), Fraction(0)) for row in A]
        if any(y):
            return {"A": [[exact_text(v) for v in row] for row in A], "y": [exact_text(v) for v in y],
                    "planted": [exact_text(v) for v in x]}
    _fail("family", f"seed {seed}: 100 draws gave y = 0")  # pragma: no cover - needs a degenerate family


def _file_instance(path: str) -> dict:
    from implicitreg.numerics.instance import Instance, read_json_file

    p = Path(path)
    if p.stat().st_size > LIMITS["file_bytes"]:
        _fail("family.folder", f"{p.name}: larger than {LIMITS['file_bytes']} bytes")
    try:
        inst = Instance.from_data(read_json_file(p), name=p.stem)
    except ImplicitRegError as exc:
        _fail("family.folder", f"{p.name}: {exc}")
    if inst.m > LIMITS["m"] or inst.N > LIMITS["N"]:
        _fail("family.folder", f"{p.name}: {inst.m} x {inst.N} exceeds {LIMITS['m']} x {LIMITS['N']}")
    return {"A": [[exact_text(v) for v in row] for row in inst.A], "y": [exact_text(v) for v in inst.y]}


def instances(spec: SweepSpec):
    """(label, seed, instance data) for every instance of the family, in order."""
    fam = spec.family
    if fam["kind"] == "random":
        for seed in fam["seeds"]:
            yield f"seed={seed}", seed, random_instance(fam, seed)
    elif fam["kind"] == "kink":
        for e in fam["eps"]:
            yield f"eps={exact_text(e)}", None, {"A": [["1", exact_text(1 - e)]], "y": ["1"], "eps": exact_text(e)}
    else:
        for f in fam["files"]:
            yield Path(f).stem, None, _file_instance(f)


def _instance_count(spec: SweepSpec) -> int:
    fam = spec.family
    return len(fam["seeds"] if fam["kind"] == "random" else fam["eps"] if fam["kind"] == "kink" else fam["files"])


def count_tasks(spec: SweepSpec) -> int:
    from implicitreg.experiments.sweep_tasks import is_fit

    per = sum(len(s.depths) * (1 if is_fit(s.name) else len(s.alphas)) for s in spec.statements)
    return per * _instance_count(spec)


@dataclass(frozen=True)
class Task:
    """One unit of work; ``content`` is everything the result depends on, ``key`` its SHA-256 (hex, 32 chars)."""

    content: dict
    key: str

    @classmethod
    def make(cls, content: dict) -> "Task":
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return cls(content, hashlib.sha256(text.encode()).hexdigest()[:32])


def expand(spec: SweepSpec) -> list[Task]:
    """Every task of the spec, in a deterministic order, without duplicate keys."""
    from implicitreg.experiments.sweep_tasks import is_fit

    tasks, seen = [], set()
    for label, seed, data in instances(spec):
        for st in spec.statements:
            for D in st.depths:
                grids = [None] if is_fit(st.name) else list(st.alphas)
                for a in grids:
                    content = {"spec": spec.name, "family": spec.family["kind"], "label": label, "seed": seed,
                               "instance": data, "depth": exact_text(D), "alpha_convention": spec.alpha_convention,
                               "statement": st.name, "digits": spec.digits, "certificate": spec.certificates}
                    if a is None:
                        content["alphas"] = [exact_text(v) for v in sorted(st.alphas, reverse=True)]
                    else:
                        content["alpha"] = exact_text(a)
                    t = Task.make(content)
                    if t.key not in seen:
                        seen.add(t.key)
                        tasks.append(t)
    return tasks
