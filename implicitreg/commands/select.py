"""``implicitreg select``: which l1 minimizer gradient flow of depth p selects, x_g(p) = argmin G_p over X_BP."""
from __future__ import annotations


def register(sub) -> None:
    from implicitreg.commands import add_instance_option, add_json_option

    p = sub.add_parser("select", help="the l1 minimizer selected at depth p (x_g(p) = argmin G_p over X_BP; "
                                      "--depth inf: the analytic centre)")
    add_instance_option(p)
    p.add_argument("--depth", required=True, metavar="P",
                   help="real depth p >= 2 ('3', '2.5', '5/2') or 'inf' for the analytic centre")
    p.add_argument("--digits", default="40", metavar="D", help="significant digits to certify (default 40)")
    add_json_option(p)
    p.set_defaults(func=_run)


def _digits(text: str) -> int:
    from implicitreg.errors import InvalidParameterError

    try:
        d = int(text)
    except ValueError:
        raise InvalidParameterError(f"--digits must be a positive integer, got {text!r}") from None
    if not 1 <= d <= 10000:
        raise InvalidParameterError(f"--digits must be between 1 and 10000, got {d}")
    return d


def result_to_json(result, instance, digits: int) -> dict:
    out = {"instance": instance.name, "m": instance.m, "N": instance.N, **result.to_json(digits)}
    out["digits"] = digits
    out["digits_certified"] = result.digits
    out["provenance"] = ("functional g_p: authors' code (Wind, Antun & Hansen); selection x_inf -> x_g(p): paper "
                         "(depends on depth), proof derived; p = inf (analytic centre): derived")
    return out


def _run(args) -> int:
    from implicitreg.commands import emit
    from implicitreg.numerics.instance import Instance
    from implicitreg.numerics.selection import selected_minimizer, selection_depth

    depth = selection_depth(args.depth)
    digits = _digits(args.digits)
    instance = Instance.load(args.instance)
    result = selected_minimizer(instance, depth, digits=digits)
    obj = result_to_json(result, instance, digits)
    text = "\n".join([
        f"instance {instance.name}: m = {instance.m}, N = {instance.N}, depth p = {obj['depth']}",
        f"basis pursuit {'unique: x_g = x*' if result.unique_bp else 'not unique'}; maximal support S = "
        f"{list(result.support)}, face dimension {result.face_dimension}",
        f"selected minimizer ({result.functional}), {digits} digits:",
        *[f"  x[{i}] = {v}" for i, v in enumerate(obj["x"])],
    ])
    emit(obj, args.json, text)
    return 0
