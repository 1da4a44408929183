"""``implicitreg select``: which l1 minimizer gradient flow of depth p selects, x_g(p) = argmin G_p over X_BP."""
from __future__ import annotations


def register(sub) -> None:
    from implicitreg.commands import add_instance_option, add_json_option

    p = sub.add_parser("select", help="the l1 minimizer selected at depth p (x_g(p) = argmin G_p over X_BP; "
                                      "--depth inf: the analytic centre)",
                       description="When basis pursuit has a face of minimizers, the limit of gradient flow as "
                                   "alpha -> 0 is x_g(p) = argmin G_p over that face; it depends on the depth p. "
                                   "Digits are certified by two precisions. Theory: docs/theory/wah.md.")
    add_instance_option(p)
    p.add_argument("--depth", required=True, metavar="P",
                   help="(required) real depth 2 <= p <= 10000 ('3', '2.5', '5/2') or 'inf' for the analytic centre")
    p.add_argument("--digits", default="40", metavar="N",
                   help="significant digits to certify, 1..10000 (default 40)")
    add_json_option(p)
    p.set_defaults(func=_run)


def _run(args) -> int:
    from implicitreg import api
    from implicitreg.commands import emit
    from implicitreg.commands.limit import _int

    digits = _int(args.digits, "--digits")
    instance = api.load_instance(args.instance)
    result = api.selected_minimizer(instance, depth=args.depth, digits=digits)
    obj = result.to_json()
    text = "\n".join([
        f"instance {instance.name}: m = {instance.m}, N = {instance.N}, depth p = {obj['depth']}",
        f"basis pursuit {'unique: x_g = x*' if result.unique else 'not unique'}; maximal support S = "
        f"{list(result.support)}, face dimension {result.face_dimension}",
        f"selected minimizer ({result.functional}), {digits} digits:",
        *[f"  x[{i}] = {v}" for i, v in enumerate(obj["x"])],
    ])
    emit(obj, args.json, text)
    return 0
