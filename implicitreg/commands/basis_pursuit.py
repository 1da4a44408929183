"""``implicitreg l1``: exact basis pursuit (minimizer, maximal support, face, rho, certificate)."""
from __future__ import annotations


def register(sub) -> None:
    from implicitreg.commands import add_instance_option, add_json_option

    p = sub.add_parser("l1", help="exact l1 minimizer of A x = y with its optimality certificate, support and rho")
    add_instance_option(p)
    add_json_option(p)
    p.set_defaults(func=_run)


def result_to_json(result, instance=None) -> dict:
    """The JSON object printed by ``implicitreg l1 --json`` (exact numbers as "p/q" strings)."""
    from implicitreg.numerics.exact import fraction_str as fs

    face = result.face
    out = {
        "minimizer": [fs(v) for v in result.x],
        "value": fs(result.value),
        "unique": result.unique,
        "support": list(result.support),
        "support_is_maximal": True,
        "signs": list(result.signs),
        "rho": fs(result.rho) if result.unique else None,
        "rho_maximal_support": fs(result.rho),
        "certificate": [fs(v) for v in result.certificate],
        "rho_dual_certificate": [fs(v) for v in result.rho_certificate.v] if result.rho_certificate else None,
        "face": {
            "dimension": face.dimension,
            "point": [fs(v) for v in face.point],
            "directions": [[fs(v) for v in d] for d in face.directions],
            "vertices": None if face.vertices is None else [[fs(v) for v in vx] for vx in face.vertices],
        },
        "verified": True,
    }
    if instance is not None:
        out = {"instance": instance.name, "m": instance.m, "N": instance.N, **out}
    return out


def _summary(result, instance) -> str:
    from implicitreg.numerics.exact import fraction_str as fs

    face = result.face
    lines = [
        f"instance {instance.name}: m = {instance.m}, N = {instance.N}",
        f"min ||x||_1 = {fs(result.value)} (~{float(result.value):.12g})",
        f"minimizer {'(unique)' if result.unique else '(a vertex; not unique)'}: [{', '.join(fs(v) for v in result.x)}]",
        f"{'support' if result.unique else 'maximal support'} S = {list(result.support)}, signs = {list(result.signs)}",
        f"rho = {fs(result.rho)} (~{float(result.rho):.12g})"
        + ("" if result.unique else " for the maximal support; x* is not unique, so rho(x*) is undefined"),
        f"face X_BP: dimension {face.dimension}"
        + ("" if face.vertices is None else f", {len(face.vertices)} vertices"),
        f"certificate lambda = [{', '.join(fs(v) for v in result.certificate)}] (verified exactly)",
    ]
    return "\n".join(lines)


def _run(args) -> int:
    from implicitreg.commands import emit
    from implicitreg.numerics.basis_pursuit import l1_minimizer
    from implicitreg.numerics.instance import Instance

    instance = Instance.load(args.instance)
    result = l1_minimizer(instance)
    emit(result_to_json(result, instance), args.json, _summary(result, instance))
    return 0
