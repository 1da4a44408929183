"""``implicitreg select``: which l1 minimizer gradient flow of depth D selects, x_g = argmin G_D over X_BP."""
from __future__ import annotations


def register(sub) -> None:
    from implicitreg.commands import add_command, add_depth_option, add_digits_option

    p = add_command(sub, "select", _run, instance="A")
    add_depth_option(p, note=", or 'inf' for the analytic centre")
    add_digits_option(p, "40", "significant digits to certify, 1..10000 (default 40)")


def _run(args) -> int:
    """the l1 minimizer selected at depth D (x_g = argmin G_D over X_BP; --depth inf: the analytic centre)

    When basis pursuit has a face of minimizers, the limit of gradient flow as alpha -> 0 is x_g = argmin G_D over
    that face (wah.md writes the depth p); it depends on the depth. Digits are certified by two precisions. Theory:
    docs/theory/wah.md.
    """
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
