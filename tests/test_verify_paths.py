"""``implicitreg verify``'s output paths on hand-made verdicts: the CSV, the summary marks, the empty run."""
from __future__ import annotations

import csv
import io

import pytest

from implicitreg.proofs import verify
from implicitreg.proofs.checks import Verdict


def _v(name, passed, **kw):
    return Verdict(name, "paper", "inst", "2", "-", kw.pop("observed", "1"), kw.pop("bound", "2"), "0.5", passed,
                   **kw)


def test_csv_of_no_rows_is_the_header_of_the_schema():
    text = verify.format_csv([])
    one = verify.format_csv([_v("A", True)])
    assert text == one.split("\n", 1)[0] + "\n"
    assert text.startswith("theorem,provenance,instance,depth,") and "passed" in text


def test_csv_has_one_line_per_row_in_order_with_unix_newlines():
    text = verify.format_csv([_v("A", True), _v("B", False, note="why")])
    assert "\r" not in text and text.count("\n") == 3
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["theorem"], r["passed"], r["note"]) for r in rows] == [("A", "True", ""), ("B", "False", "why")]
    assert float(rows[0]["observed"]) == 1 and float(rows[0]["margin"]) == 0.5 and rows[0]["observed_text"] == "1"


def test_verdict_json_numbers_have_ten_significant_digits():
    import mpmath

    with mpmath.workdps(30):
        third = mpmath.mpf(1) / 3
        v = Verdict("T", "paper", "inst", "2", "1e-4..1e-30", third, mpmath.mpf(3), "suite's", True,
                    slope=2 * third, slope_predicted=mpmath.mpf(1), alpha_convention="factor")
        out = v.to_json()
    assert out["observed"] == "0.3333333333" and out["bound"] == "3.0" and out["slope"] == "0.6666666667"
    assert out["margin"] == "0.1111111111" and out["slope_predicted"] == "1.0" and out["margin_text"] == "suite's"
    assert (out["depth"], out["alpha_range"], out["alpha_convention"]) == ("2", "1e-4..1e-30", "factor")


def test_verdict_json_missing_fields_are_null():
    v = Verdict("T", "paper", "inst", "-", "", "min 3", "vertex enumeration", "", False, alpha_convention="-")
    out = v.to_json()
    assert out["depth"] is None and out["alpha_range"] is None and out["alpha_convention"] is None
    assert out["observed"] is None and out["bound"] is None and out["margin"] is None and out["slope"] is None
    assert out["observed_text"] == "min 3" and out["bound_text"] == "vertex enumeration" and out["margin_text"] == ""
    assert out["passed"] is False and out["note"] == ""


def test_summary_marks_each_theorem_and_says_when_nothing_ran():
    lines = verify.format_summary([_v("Alpha[x]", True), _v("B", False), _v("Alpha y", True)])
    assert lines == ["2 passed, 1 failed", "  ok   Alpha  2 passed, 0 failed", "  FAIL B      0 passed, 1 failed"]
    assert verify.format_summary([]) == ["0 passed, 0 failed (no check ran)"]
    assert verify.format_summary([_v("Theorem-name-long", True)])[1] == "  ok   Theorem-name-long  1 passed, 0 failed"


def test_suite_names_are_the_last_dotted_part():
    assert verify.suite_names(("pkg.sub.first_suite", "second")) == ["first_suite", "second"]
    assert verify.suite_names() == ["basis_pursuit", "selection", "deep_linear", "diagonal"]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _fake_suites(monkeypatch):
    import sys
    import types

    names = ("pkg.sub.alpha_suite", "pkg.sub.beta_suite")
    for name in names:
        module = types.ModuleType(name)
        module.run = lambda thorough, _n=name: [_v(_n, True)]
        monkeypatch.setitem(sys.modules, name, module)
    return names


def test_progress_bar_on_a_terminal_names_each_suite(monkeypatch):
    import sys

    names = _fake_suites(monkeypatch)
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    rows = verify.run_verify(suites=names, progress=True)
    text = err.getvalue()
    assert [r.theorem for r in rows] == list(names)
    assert "alpha_suite: " in text and "beta_suite: " in text and "sub." not in text
    # set_description refreshes: each suite's name shows the count of the suites done before it
    assert "alpha_suite:   0%" in text and "beta_suite:  50%" in text and " 1/2 " in text and "suite/s" in text
    assert text.endswith("\r")  # leave=False: the bar is cleared at the end


def test_no_progress_bar_unless_asked_and_on_a_terminal(monkeypatch):
    import sys

    names = _fake_suites(monkeypatch)
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    verify.run_verify(suites=names)
    verify.run_verify(suites=names, progress=False)
    assert err.getvalue() == ""
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stderr", plain)
    verify.run_verify(suites=names, progress=True)
    assert plain.getvalue() == ""


def test_main_passes_progress_and_the_wide_output(monkeypatch):
    seen = []

    def fake(**kw):
        seen.append(kw)
        return [_v("A", True, note="a note")]

    monkeypatch.setattr(verify, "run_verify", fake)
    out = io.StringIO()
    assert verify.main(output="wide", progress=True, out=out) == 0
    assert seen[-1].get("progress") is True and "provenance" in out.getvalue() and "notes:" in out.getvalue()
    out = io.StringIO()
    assert verify.main(out=out) == 0
    assert "progress" not in seen[-1] and "provenance" not in out.getvalue() and "obs/bound" in out.getvalue()
    out = io.StringIO()
    assert verify.main(output="csv", out=out) == 0 and out.getvalue().startswith("theorem,provenance,")


def test_main_fits_the_table_to_the_width(monkeypatch):
    long = _v("A-theorem-" + "x" * 90, True)
    monkeypatch.setattr(verify, "run_verify", lambda **kw: [long])
    for width, expected in ((None, 80), (50, 50)):
        out = io.StringIO()
        verify.main(out=out, width=width)
        assert max(len(line) for line in out.getvalue().splitlines()) == expected


def test_fit_and_grid_keep_the_layout():
    assert verify._fit("abcdef", 4) == "abc~" and verify._fit("abcd", 4) == "abcd" and verify._fit("abcdef", 1) == "a~"
    lines = verify._grid(["", "b"], [["x", "yy"]], [3, 2])
    assert lines == ["     b", "---  --", "x    yy"]


def test_short_table_shares_the_room_between_theorem_and_instance():
    """80 columns: depth capped at 10, result 6, obs/bound 9, four gaps of 2 leave 47 for theorem + instance, taken
    from the longer one (the theorem first on a tie), one column at a time: 23 + 24."""
    row = Verdict("T" * 50, "paper", "I" * 50, "2, 5/2, 3, 4, 5", "-", "1", "4", "", True)
    lines = verify.format_table([row]).splitlines()
    h = next(k for k, line in enumerate(lines) if line.startswith("theorem"))
    assert len(lines[h]) == 80 and lines[h].split() == ["theorem", "instance", "depth", "result", "obs/bound"]
    assert lines[h + 2] == "T" * 22 + "~  " + "I" * 23 + "~  2, 5/2, 3~  PASS    0.25"
    # at 40 columns the two share the minimum of 20 (10 + 10), and the line is then cut to the width
    narrow = verify.format_table([row], width=40).splitlines()
    assert narrow[h + 2] == "T" * 9 + "~  " + "I" * 9 + "~  2, 5/2, 3~  PAS~"


def test_verdict_numbers_from_texts_and_objects():
    import mpmath

    v = Verdict("T", "paper", "i", "2", "-", " +1/2 ", "2.5", "", True, slope="slope 2.0", slope_predicted=True,
                note="")
    assert v.number("observed") == mpmath.mpf("0.5") and v.number("bound") == mpmath.mpf("2.5")
    assert v.number("slope") is None and v.number("slope_predicted") is None and v.number("margin") is None
    v.observed, v.bound = "1/3", object()
    assert abs(v.number("observed") - mpmath.mpf(1) / 3) < 1e-15 and v.number("bound") is None
    v.observed = None
    assert v.number("observed") is None


def test_margin_value_falls_back_to_the_slopes_and_skips_undefined_ratios():
    import mpmath

    def m(observed, bound, slope="", predicted=""):
        return Verdict("T", "paper", "i", "2", "-", observed, bound, "", True, slope=slope,
                       slope_predicted=predicted).margin_value

    assert m(1, 4) == mpmath.mpf("0.25") and m("1", "4", 3, 2) == mpmath.mpf("0.25")
    assert m(1, 0, 3, 2) == mpmath.mpf("1.5") and m(mpmath.inf, 2, 3, 2) == mpmath.mpf("1.5")
    assert m(1, mpmath.inf, 1, 4) == mpmath.mpf("0.25") and m(1, 0) is None and m("a", "b", 1, 0) is None
    assert m(1, 2, mpmath.inf, 1) == mpmath.mpf("0.5") and m("", "", 1, mpmath.inf) is None


def test_cells_print_the_result_the_margin_and_dashes():
    v = Verdict("T", "paper", "i", "", "-", 1, 3, "", False)
    assert v.cells(["theorem", "result", "margin_value", "depth", "observed", "margin"]) == \
        ["T", "FAIL", "0.3333", "-", "1.0", "-"]
    v.passed, v.bound = True, "text"
    assert v.cells(["result", "margin_value", "bound"]) == ["PASS", "-", "text"]


def test_short_table_blank_lines_and_legend():
    lines = verify.format_table([_v("A", True)]).splitlines()
    assert lines[:4] == ["1 passed, 0 failed", "  ok   A  1 passed, 0 failed", "", "theorem  instance  depth  result  obs/bound"]
    assert lines[-4:] == ["", "obs/bound: observed / bound; 1 = attained, an upper bound holds for <= 1,",
                          "a lower bound for >= 1; rate checks: fitted / predicted slope (docs/schema.md).",
                          "--wide: every column and the notes; --csv, --json: the numbers."]


def test_theorem_family_is_the_name_before_the_first_space_or_bracket():
    assert verify.theorem_family("MS-D3 spec M0 (conjecture)") == "MS-D3"
    assert verify.theorem_family("MC-LB[a] [b]") == "MC-LB" and verify.theorem_family("MC-Smin [S_LB<=S]") == "MC-Smin"
    assert verify.theorem_family("WAH-E") == "WAH-E" and verify.theorem_family("[x] y") == "[x] y"


SUITES = ("pkg.sub.alpha_suite", "pkg.sub.beta_suite", "pkg.sub.gamma")


def test_resolve_suites_by_comma_separated_parts_of_names():
    assert verify.resolve_suites("gamma, alpha", SUITES) == ["pkg.sub.alpha_suite", "pkg.sub.gamma"]
    assert verify.resolve_suites(["beta ", "suite"], SUITES) == ["pkg.sub.alpha_suite", "pkg.sub.beta_suite"]
    assert verify.resolve_suites(" none ", SUITES) == [] and verify.resolve_suites(None, SUITES) == list(SUITES)
    assert verify.resolve_suites("a", ("x.a.b", "x.y.ab")) == ["x.y.ab"]   # the last name only, not the package


@pytest.mark.parametrize("only, message", [
    ("", "name a suite: one of alpha_suite, beta_suite, gamma"),
    ("alpha,", "name a suite: one of alpha_suite, beta_suite, gamma"),
    ([], "name a suite: one of alpha_suite, beta_suite, gamma"),
    ("alpha, delta", "unknown suite 'delta'; the suites are alpha_suite, beta_suite, gamma"),
    ("sub", "unknown suite 'sub'; the suites are alpha_suite, beta_suite, gamma"),
    ("alpha beta", "unknown suite 'alpha beta'; the suites are alpha_suite, beta_suite, gamma")])
def test_resolve_suites_refuses_with_the_list(only, message):
    from implicitreg.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError) as err:
        verify.resolve_suites(only, SUITES)
    assert str(err.value) == message


def test_short_table_shrinks_one_column_at_a_time():
    """theorem 40 and instance 41 columns into a room of 47: 23 + 24, whichever is longer giving one column."""
    row = Verdict("T" * 40, "paper", "I" * 41, "2, 5/2, 3, 4, 5", "-", "1", "4", "", True)
    lines = verify.format_table([row]).splitlines()
    h = next(k for k, line in enumerate(lines) if line.startswith("theorem"))
    assert lines[h + 2].startswith("T" * 22 + "~  " + "I" * 23 + "~  2, 5/2, 3~")


def test_texts_of_missing_and_numeric_fields():
    import mpmath

    v = Verdict("T", "paper", "i", "2", "-", None, mpmath.mpf(1) / 3, "", True)
    out = v.to_json()
    assert out["observed_text"] == "" and out["bound_text"] == "0.333333"
    assert v.cells(["observed", "bound"]) == ["-", "0.333333"]


def _parted_suite(monkeypatch, name="pkg.sub.parted_suite"):
    """A suite split into parts (``parts(thorough)``, ``run_part(part, thorough)``), as the executor path runs them."""
    import sys
    import types

    module = types.ModuleType(name)
    module.parts = lambda thorough: ["p1", "p2", "p3"] if thorough else ["p1", "p2"]
    module.run_part = lambda part, thorough: [_v(f"{part}-{thorough}", True)]
    module.run = lambda thorough: pytest.fail("a suite with parts is run part by part")
    monkeypatch.setitem(sys.modules, name, module)
    return name


def test_suite_tasks_and_run_suite_task(monkeypatch):
    """A suite with parts gives one task per part (for the thorough flag given), one without gives one whole task."""
    whole = _fake_suites(monkeypatch)[0]
    parted = _parted_suite(monkeypatch)
    assert verify.suite_tasks([whole, parted], False) == [(whole, False, None), (parted, False, "p1"),
                                                         (parted, False, "p2")]
    assert verify.suite_tasks([parted], True) == [(parted, True, "p1"), (parted, True, "p2"), (parted, True, "p3")]
    assert [r.theorem for r in verify.run_suite_task(whole, False)] == [whole]
    assert [r.theorem for r in verify.run_suite_task(parted, True, "p3")] == ["p3-True"]
    assert [r.theorem for r in verify.run_suite_task(parted, False, "p1")] == ["p1-False"]
    import sys
    import types

    echo = types.ModuleType("pkg.sub.echo_suite")
    echo.run = lambda thorough: [_v(f"whole-{thorough}", True)]
    monkeypatch.setitem(sys.modules, "pkg.sub.echo_suite", echo)
    assert [r.theorem for r in verify.run_suite_task("pkg.sub.echo_suite", True)] == ["whole-True"]


@pytest.mark.parametrize("terminal, progress", [(True, True), (False, True), (True, False)])
def test_executor_path_maps_the_suite_tasks_in_order(monkeypatch, terminal, progress):
    """``executor``: the tasks of :func:`suite_tasks` go to map_tasks (label, one task a chunk, a progress bar only on
    a terminal, the executor options passed on) and the verdicts come back flattened in task order."""
    import sys

    import implicitreg.experiments.sweep_executor as executor

    whole = _fake_suites(monkeypatch)[0]
    parted = _parted_suite(monkeypatch)
    seen = []

    def fake_map(fn, tasks, **kw):
        tasks = list(tasks)
        seen.append((fn, tasks, kw))
        return [fn(*t) for t in tasks]

    monkeypatch.setattr(executor, "map_tasks", fake_map)
    monkeypatch.setattr(sys, "stderr", _Terminal() if terminal else io.StringIO())
    rows = verify.run_verify(thorough=True, suites=(whole, parted), progress=progress,
                             executor={"n_workers": 3, "scheduler": "tcp://x:1"})
    assert [r.theorem for r in rows] == [whole, "p1-True", "p2-True", "p3-True"]
    fn, tasks, kw = seen[-1]
    assert fn is verify.run_suite_task and tasks == verify.suite_tasks((whole, parted), True)
    assert kw == {"label": "verify", "chunk_size": 1, "progress": terminal and progress, "n_workers": 3,
                  "scheduler": "tcp://x:1"}


def test_progress_bar_names_a_top_level_suite(monkeypatch):
    """A suite given as a top-level module (no dot) is named by its whole name on the bar."""
    import sys
    import types

    module = types.ModuleType("plainsuite")
    module.run = lambda thorough: [_v("plain", True)]
    monkeypatch.setitem(sys.modules, "plainsuite", module)
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    assert [r.theorem for r in verify.run_verify(suites=("plainsuite",), progress=True)] == ["plain"]
    assert "plainsuite: " in err.getvalue()


def test_main_passes_workers_and_scheduler_only_when_given(monkeypatch):
    """``verify --workers N`` / ``--scheduler ADDR`` reach the API as given; absent, the API's defaults apply."""
    import implicitreg.api as api

    seen = []

    def fake(only=None, **kw):
        seen.append(kw)
        return api.VerifyReport([_v("A", True)], ("a",), None)

    monkeypatch.setattr(api, "verify", fake)
    assert verify.main(out=io.StringIO()) == 0
    assert "workers" not in seen[-1] and "scheduler" not in seen[-1]
    assert verify.main(workers=3, out=io.StringIO()) == 0
    assert seen[-1]["workers"] == 3 and "scheduler" not in seen[-1]
    assert verify.main(scheduler="tcp://h:8786", out=io.StringIO()) == 0
    assert seen[-1]["scheduler"] == "tcp://h:8786" and "workers" not in seen[-1]
