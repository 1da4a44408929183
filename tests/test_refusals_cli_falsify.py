"""The CLI's exit-2 paths and exit statuses that no other test runs, and the falsifier's limits at their numbers.

In-process ``cli.main(argv)`` calls (cheap): a refusal is exit 2 and exactly one line on stderr, nothing on
stdout. Where a command's accepted side would start a search, the search is replaced by a stub that records what
it was given. The falsifier's numbers are from its documentation: a refutation certificate holds at most 8 x 40
for A (docs/certificates.md), the smallest product scale is 1e-300 (the diagonal certificates' alpha range in
docs/certificates.md and the error message), a deep linear network's init scale lies in [1/1000, 10], and
``--thorough`` is "ten times the budget" (``implicitreg falsify --help``).
"""
from fractions import Fraction as F

import mpmath
import pytest

from implicitreg import cli
from implicitreg.errors import InvalidParameterError


def one_line_exit_2(capsys, argv, fragment):
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith(f"implicitreg {argv[0]}: error: ") and fragment in err, err
    return err


class Reached(Exception):
    pass


# ---------------------------------------------------------------------------------------------------- cli.main

def test_an_interrupt_is_exit_130_with_one_line(monkeypatch, capsys):
    parser = cli.build_parser()
    action = parser._subparsers._group_actions[0].choices["l1"]

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(action, "_defaults", dict(action._defaults, func=interrupted))
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main(["l1", "--instance", "x.json"]) == 130
    out, err = capsys.readouterr()
    assert out == "" and err == "implicitreg: interrupted\n"


def test_a_closed_stdout_is_not_an_error(monkeypatch, capsys):
    parser = cli.build_parser()
    action = parser._subparsers._group_actions[0].choices["l1"]

    def broken(args):
        raise BrokenPipeError

    opened = []
    monkeypatch.setattr(action, "_defaults", dict(action._defaults, func=broken))
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    import os

    monkeypatch.setattr(os, "dup2", lambda fd, fd2: opened.append((fd, fd2)))
    monkeypatch.setattr(os, "open", lambda path, flags: opened.append(path) or 99)
    monkeypatch.setattr("sys.stdout", type("S", (), {"fileno": lambda self: 1})())
    assert cli.main(["l1", "--instance", "x.json"]) == 0
    assert opened == [os.devnull, (99, 1)]


def test_a_usage_error_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["l1", "--no-such-option"])
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("implicitreg: error: ")


# ---------------------------------------------------------------------------------------------------- sweep CLI

def test_sweep_list_prints_the_evaluable_statements(capsys):
    assert cli.main(["sweep", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in ("MS-D2:upper_l1", "MS-D3:upper_l1", "fitted_rate", "selected_distance", "kink_error"):
        assert name in lines


def test_sweep_cli_refusals_one_line_exit_2(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('name = "x"\n', encoding="utf-8")
    one_line_exit_2(capsys, ["sweep"], "name a sweep spec file")
    for workers in ("0", "1025"):
        one_line_exit_2(capsys, ["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", workers],
                        "--workers must be in [1, 1024]")
    one_line_exit_2(capsys, ["sweep", str(spec), "--out", str(tmp_path / "o"), "--serial", "--scheduler",
                             "tcp://h:1"], "--serial and --scheduler exclude each other")


def test_sweep_cli_accepts_1024_workers(tmp_path, capsys, monkeypatch):
    import implicitreg.experiments.sweep as sweep

    seen = {}

    def fake(spec, out, **kw):
        seen.update(kw)
        raise Reached

    monkeypatch.setattr(sweep, "run_sweep", fake)
    good = tmp_path / "g.json"
    good.write_text('{"name": "t", "alphas": ["1e-5"], "depths": [2], "statements": ["MS-D2:upper_l1"], '
                    '"family": {"kind": "kink", "eps": ["1/2"]}}', encoding="utf-8")
    with pytest.raises(Reached):
        cli.main(["sweep", str(good), "--out", str(tmp_path / "o"), "--workers", "1024"])
    assert seen["n_workers"] == 1024


def test_verify_cli_workers_and_scheduler(capsys):
    for workers in ("0", "1025"):
        one_line_exit_2(capsys, ["verify", "--workers", workers], "--workers must be in [1, 1024]")
    one_line_exit_2(capsys, ["verify", "--workers", "2", "--scheduler", "tcp://h:1"], "exclude each other")


# ---------------------------------------------------------------------------------------------------- falsify CLI

def test_falsify_needs_lhs_and_bound(capsys):
    one_line_exit_2(capsys, ["falsify"], "give --lhs and --bound (or --list-quantities)")
    one_line_exit_2(capsys, ["falsify", "--lhs", "err_l1"], "give --lhs and --bound")
    one_line_exit_2(capsys, ["falsify", "--bound", "alpha"], "give --lhs and --bound")


def test_falsify_lists_every_quantity_with_its_problem_scope_and_provenance(capsys):
    from implicitreg.theory.quantities import QUANTITIES

    assert cli.main(["falsify", "--list-quantities"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(QUANTITIES)
    for line, (name, q) in zip(lines, QUANTITIES.items()):
        assert line.split()[0] == name
        assert f"[{q.problem}, {q.scope}, {q.provenance.kind}] {q.definition}" in line
        assert ("(alias " in line) == bool(q.aliases)


class FakeResult:
    def __init__(self, refuted, certificate):
        self.refuted, self.certificate = refuted, certificate

    def summary(self):
        return "SUMMARY"

    def to_json(self):
        return {"refuted": self.refuted}


def fake_falsify(monkeypatch, refuted, certificate, seen=None):
    import implicitreg.proofs.falsify as fz

    def fake(lhs, bound, **kw):
        if seen is not None:
            seen.update(kw)
        return FakeResult(refuted, certificate)

    monkeypatch.setattr(fz, "falsify", fake)


def test_falsify_exit_status_is_1_when_refuted_and_0_when_the_conjecture_survives(monkeypatch, capsys):
    argv = ["falsify", "--lhs", "err_l1", "--bound", "alpha"]
    fake_falsify(monkeypatch, True, None)
    assert cli.main(argv) == 1
    assert capsys.readouterr().out == "SUMMARY\n  (no certificate written: use --certificate FILE)\n"
    fake_falsify(monkeypatch, False, None)
    assert cli.main(argv) == 0
    assert capsys.readouterr().out == "SUMMARY\n"


def test_falsify_writes_the_certificate_or_refuses_an_unwritable_path(monkeypatch, capsys, tmp_path):
    import json

    fake_falsify(monkeypatch, True, {"kind": "refutation"})
    out = tmp_path / "r.json"
    assert cli.main(["falsify", "--lhs", "err_l1", "--bound", "alpha", "--certificate", str(out)]) == 1
    assert json.loads(out.read_text())["kind"] == "refutation"
    assert f"refutation certificate: {out} (verify with `implicitreg check {out}`)" in capsys.readouterr().out
    one_line_exit_2(capsys, ["falsify", "--lhs", "err_l1", "--bound", "alpha", "--certificate",
                             str(tmp_path / "no" / "r.json")], "cannot write")


def test_falsify_thorough_is_ten_times_the_budget(monkeypatch, capsys):
    seen = {}
    fake_falsify(monkeypatch, False, None, seen)
    assert cli.main(["falsify", "--lhs", "err_l1", "--bound", "alpha", "--budget", "7", "--thorough"]) == 0
    assert seen["budget"] == 70
    assert cli.main(["falsify", "--lhs", "err_l1", "--bound", "alpha", "--budget", "7"]) == 0
    assert seen["budget"] == 7


# ---------------------------------------------------------------------------------------------------- falsify limits

def stub_search(monkeypatch):
    import implicitreg.proofs.falsify.search as search

    seen = {}

    def fake(ev, strategy, lo, hi, budget, seed):
        seen.update(lo=lo, hi=hi, budget=budget, depth=ev.depth, convention=ev.convention)
        raise Reached

    monkeypatch.setattr(search, "_hypothesis_phase", fake)
    return seen


def attempt(**kw):
    from implicitreg.proofs.falsify import falsify

    args = dict(lhs="err_l1", bound="2*alpha**(1-rho)", depth=2, budget=5)
    args.update(kw)
    return falsify(args.pop("lhs"), args.pop("bound"), **args)


def test_falsify_searches_at_most_8_rows_and_40_columns(monkeypatch):
    stub_search(monkeypatch)
    with pytest.raises(Reached):
        attempt(m="8:8", N="40:40")
    with pytest.raises(InvalidParameterError, match=r"^m must be integers in 1\.\.8, got 1:9$"):
        attempt(m="1:9")
    with pytest.raises(InvalidParameterError, match=r"^N must be integers in 1\.\.40, got 2:41$"):
        attempt(N="2:41")
    for bad in ("0:3", "3/2:3", "1:2:3"):
        with pytest.raises(InvalidParameterError, match="^m "):
            attempt(m=bad)
    with pytest.raises(InvalidParameterError, match=r"^m must be a pair \(lo, hi\)$"):
        attempt(m=5)
    with pytest.raises(InvalidParameterError, match="^m: "):
        attempt(m=("one", "two"))


def test_falsify_smallest_product_scale_is_1e_minus_300(monkeypatch):
    seen = stub_search(monkeypatch)
    with pytest.raises(Reached):
        attempt(alpha_range="1e-300:1e-2")
    assert seen["lo"] == F(1, 10 ** 300)
    with pytest.raises(InvalidParameterError, match="smallest product scale supported is 1e-300"):
        attempt(alpha_range="1e-301:1e-2")
    # factor convention at D = 2: alpha^2 is the product scale, so 1e-150 is the smallest
    with pytest.raises(Reached):
        attempt(alpha_range="1e-150:1e-2", alpha_convention="factor")
    with pytest.raises(InvalidParameterError, match="smallest product scale supported is 1e-300"):
        attempt(alpha_range="1e-151:1e-2", alpha_convention="factor")


def test_falsify_deep_linear_init_scale_in_1_over_1000_to_10(monkeypatch):
    seen = stub_search(monkeypatch)
    with pytest.raises(Reached):
        attempt(lhs="sharpness", bound="S_LB", depth=3, alpha_range="1/1000:10")
    assert seen["convention"] == "factor" and seen["depth"] == 3       # alpha is the per-factor scale s
    for bad in ("999/1000000:1", "1/100:10.001"):
        with pytest.raises(InvalidParameterError, match=r"init scale of a deep linear network must lie in \[1/1000, 10\]"):
            attempt(lhs="sharpness", bound="S_LB", depth=3, alpha_range=bad)


def test_falsify_budget_and_seed(monkeypatch):
    seen = stub_search(monkeypatch)
    with pytest.raises(Reached):
        attempt(budget=1)
    assert seen["budget"] == 1
    for bad in (0, True, 2.0, -1):
        with pytest.raises(InvalidParameterError, match="^budget must be an integer in 1.."):
            attempt(budget=bad)
    for bad in (True, -1, 1.0):
        with pytest.raises(InvalidParameterError, match="^seed must be a non-negative integer"):
            attempt(seed=bad)


def test_falsify_bound_text_length_and_kind():
    from implicitreg.proofs.falsify import conjecture

    with pytest.raises(InvalidParameterError, match=r"^the bound is 2001 characters long \(at most 2000\)$"):
        conjecture("err_l1", "1" + " " * 1999 + "+")
    with pytest.raises(InvalidParameterError, match="^the bound must be a string or a SymPy expression, got int$"):
        conjecture("err_l1", 2)
    import sympy

    from implicitreg.theory.quantities import symbols

    alpha = symbols()["alpha"]
    with pytest.raises(InvalidParameterError, match="^the bound must be an expression, not a relation$"):
        conjecture("err_l1", sympy.Lt(alpha, 1))
    assert conjecture("err_l1", 2 * alpha).names == ["alpha"]


# ---------------------------------------------------------------------------------------------------- falsify verdict

def test_a_ratio_above_one_inside_the_certified_digits_is_no_violation():
    """The evaluator reports a violation only when lhs - bound exceeds twice the resolution of the limit's
    certified digits; a bound below lhs by less than that is 'equal within the certified digits' (ratio 1)."""
    from implicitreg.numerics.instance import Instance
    from implicitreg.proofs.falsify import conjecture
    from implicitreg.proofs.falsify.evaluate import _Evaluator

    inst = Instance.from_data({"A": [[1, F(1, 2)]], "y": [1]})
    alpha = F(1, 10 ** 4)
    exact = _Evaluator(conjecture("err_l1", "err_l1"), F(2), "product", ("x* unique",), cap=10)(inst, alpha)
    assert exact is not None and exact.ratio == 1
    lhs = exact.lhs_value
    assert lhs > 0
    tiny = _Evaluator(conjecture("err_l1", "err_l1*(1 - 1/10**45)"), F(2), "product", ("x* unique",), cap=10)
    probe = tiny(inst, alpha)
    assert probe.ratio == 1                                               # 1 + 1e-45: within the digits
    clear = _Evaluator(conjecture("err_l1", "err_l1*(1 - 1/10**10)"), F(2), "product", ("x* unique",), cap=10)
    probe = clear(inst, alpha)
    with mpmath.workdps(40):
        assert abs(probe.ratio - 1 / (1 - mpmath.mpf(10) ** -10)) < mpmath.mpf(10) ** -25
    lower = _Evaluator(conjecture("err_l1", "err_l1*(1 + 1/10**45)", side="lower"), F(2), "product",
                       ("x* unique",), cap=10)
    assert lower(inst, alpha).ratio == 1
    lower = _Evaluator(conjecture("err_l1", "err_l1*(1 + 1/10**10)", side="lower"), F(2), "product",
                       ("x* unique",), cap=10)
    assert lower(inst, alpha).ratio > 1 + mpmath.mpf(10) ** -11


def test_the_evaluator_stops_at_its_cap_and_skips_instances_failing_the_hypotheses():
    from implicitreg.numerics.instance import Instance
    from implicitreg.proofs.falsify import conjecture
    from implicitreg.proofs.falsify.evaluate import _Evaluator

    ev = _Evaluator(conjecture("err_l1", "err_l1"), F(2), "product", ("x* unique",), cap=1)
    inst = Instance.from_data({"A": [[1, F(1, 2)]], "y": [1]})
    assert ev(inst, F(1, 100)) is not None and ev.evaluations == 1
    assert ev(inst, F(1, 1000)) is None and ev.evaluations == 1           # the cap
    assert ev(inst, F(1, 100)) is not None                                # memo: no new evaluation
    tie = Instance.from_data({"A": [[1, 1]], "y": [1]})                   # x* not unique: skipped
    ev = _Evaluator(conjecture("err_l1", "err_l1"), F(2), "product", ("x* unique",), cap=5)
    assert ev(tie, F(1, 100)) is None and ev.skipped == 1 and ev.best is None


# ---------------------------------------------------------------------------------------------------- certify CLI

def test_certify_cli_refusals_one_line_exit_2(tmp_path, capsys, monkeypatch):
    import implicitreg.proofs.certify as certify

    inst = tmp_path / "i.json"
    inst.write_text('{"A": [[1, "1/2"]], "y": [1]}', encoding="utf-8")
    reg = tmp_path / "x.json"
    reg.write_text('{"X": [[1, 0], [0, 1]], "y": [1, 1]}', encoding="utf-8")
    out = str(tmp_path / "c.json")
    one_line_exit_2(capsys, ["certify", "--instance", str(inst), "--theorem", "MS-D2", "--depth", "2", "--out", out],
                    "MS-D2 needs --alpha")
    for depth in ("5/2", "12345", "-2", "٣"):
        one_line_exit_2(capsys, ["certify", "--instance", str(reg), "--theorem", "MC-LB", "--depth", depth,
                                 "--out", out], f"MC-LB needs an integer depth L, got {depth!r}")
    one_line_exit_2(capsys, ["certify", "--instance", str(inst), "--theorem", "MC-LB", "--depth", "2", "--out", out],
                    "MC-LB needs an instance with keys 'X' and 'y'")
    one_line_exit_2(capsys, ["certify", "--instance", str(inst), "--theorem", "MS-D2", "--depth", "2", "--alpha",
                             "0", "--out", out], "alpha must be > 0")
    monkeypatch.setattr(certify, "diagonal_certificate", lambda *a, **k: {"kind": "diagonal"})
    monkeypatch.setattr(certify, "dumps", lambda cert: "{}")
    one_line_exit_2(capsys, ["certify", "--instance", str(inst), "--theorem", "MS-D2", "--depth", "2", "--alpha",
                             "1e-3", "--out", str(tmp_path / "no" / "c.json")], "cannot write")


def test_falsify_refuses_an_N_range_with_no_N_above_m(monkeypatch):
    """Basis pursuit needs N > m; a range with no such pair is refused, never silently widened (N = 1:1 used to be
    searched at N = 2)."""
    stub_search(monkeypatch)
    with pytest.raises(InvalidParameterError, match=r"^N must exceed m .*: no N in 1:1 exceeds an m in 1:3$"):
        attempt(m="1:3", N="1:1")
    with pytest.raises(InvalidParameterError, match=r"no N in 2:3 exceeds an m in 3:4$"):
        attempt(m="3:4", N="2:3")
    with pytest.raises(Reached):
        attempt(m="1:3", N="2:2")  # m = 1, N = 2 lies in both ranges


def test_the_instances_searched_stay_inside_both_ranges():
    from hypothesis import given, settings

    from implicitreg.proofs.falsify import instance_strategy

    shapes = set()

    @settings(max_examples=30, derandomize=True, database=None)
    @given(instance_strategy("integer", (1, 3), (2, 3)))
    def draw(inst):
        if inst is not None:
            shapes.add((inst.m, inst.N))

    draw()
    assert shapes and shapes <= {(1, 2), (1, 3), (2, 3)}  # N > m, m in 1..3, N in 2..3


def test_a_range_error_names_the_option_once():
    with pytest.raises(InvalidParameterError) as info:
        attempt(alpha_range="abc:1e-2")
    assert str(info.value).startswith("alpha range: cannot read 'abc'") and str(info.value).count("alpha range") == 1
