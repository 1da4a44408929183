"""``implicitreg verify``'s output paths on hand-made verdicts: the CSV, the summary marks, the empty run."""
from __future__ import annotations

import csv
import io

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
