"""``implicitreg l1``: exact basis pursuit (minimizer, maximal support, face, rho, certificate)."""
from __future__ import annotations


def register(sub) -> None:
    from implicitreg.commands import add_command

    add_command(sub, "l1", _run, instance="A")


def _approx(q) -> str:
    """~q with 12 significant digits (mpmath: a float overflows beyond 1e308)."""
    import mpmath

    from implicitreg.numerics.precision import mpf_from

    with mpmath.workdps(20):
        return mpmath.nstr(mpf_from(q), 12).replace("e+", "e")


def _summary(result) -> str:
    from implicitreg.numerics.exact import fraction_str as fs

    instance, face = result.instance, result.face
    rho = result.rho_maximal_support
    lines = [
        f"instance {instance.name}: m = {instance.m}, N = {instance.N}",
        f"min ||x||_1 = {fs(result.l1_norm)} (~{_approx(result.l1_norm)})",
        f"minimizer {'(unique)' if result.unique else '(a vertex; not unique)'}: [{', '.join(fs(v) for v in result.x)}]",
        f"{'support' if result.unique else 'maximal support'} S = {list(result.support)}, signs = {list(result.signs)}",
        f"rho = {fs(rho)} (~{_approx(rho)})"
        + ("" if result.unique else " for the maximal support; x* is not unique, so rho(x*) is undefined"),
        f"face X_BP: dimension {face.dimension}"
        + ("" if face.vertices is None else f", {len(face.vertices)} vertices"),
        f"certificate lambda = [{', '.join(fs(v) for v in result.certificate)}] (verified exactly)",
    ]
    return "\n".join(lines)


def _run(args) -> int:
    """exact l1 minimizer of A x = y with its optimality certificate, support and rho

    Exact basis pursuit min ||x||_1 s.t. A x = y in rational arithmetic: the minimizer, uniqueness (decided
    exactly), the maximal support, the face X_BP of all minimizers, rho and the LP certificates, all re-checked
    exactly. Theory: docs/theory/dln.md §3 and docs/theory/wah.md §3.
    """
    from implicitreg import api
    from implicitreg.commands import emit

    result = api.l1_minimizer(api.load_instance(args.instance))
    emit(result.to_json(), args.json, _summary(result))
    return 0
