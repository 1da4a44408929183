"""Figure tests, Marion & Chizat: the mc-* figures in quick mode against MC-LB / MC-SI, bands, markers, and the
GELU MLP's derivatives."""
from __future__ import annotations


import pytest

from figures_common import check_rendered, curves, rendered_fixture, slope
from implicitreg.experiments import figure as F


rendered = rendered_fixture("mc")  # this paper's figures, rendered once in quick mode


def test_figures_write_png_json_csv_with_provenance(rendered):
    check_rendered(rendered)


# ---------------------------------------------------------------------------------------------
# MC figures: sharpness after training against MC-LB and the reconstructed MC-SI bound
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["mc-small-init", "mc-residual", "mc-underdetermined"])
def test_mc_sharpness_within_bounds(rendered, name):
    data = rendered[1][name]
    consts = data["meta"]["data"]
    lb_checks = [c for c in data["checks"] if c["bound"] == "MC-LB/S_LB"]
    assert lb_checks, "no converged run was checked against MC-LB"
    for c in lb_checks:
        L = int(c["series"].split("=")[1])
        # S_LB typed independently from deep_linear.md s3: 2 L a ||w*||^(2 - 2/L)
        s_lb = 2 * L * consts["a"] * consts["w_norm"] ** (2 - 2 / L)
        assert c["bound_value"] == pytest.approx(s_lb, rel=1e-12)
        assert c["holds"] and c["observed"] >= s_lb
    # a doubled lower bound is violated by some converged run: small and residual inits land near S_LB. (The
    # underdetermined runs land at S / S_LB ~ 6-10 in the quick setup: there only the upper mutant below bites.)
    if name != "mc-underdetermined":
        assert any(c["observed"] < 2 * c["bound_value"] for c in lb_checks)
    for c in (c for c in data["checks"] if c["bound"] == "MC-SI/S_SI"):
        L = int(c["series"].split("=")[1])
        assert c["bound_value"] == pytest.approx(8 * L * consts["Lambda"] * consts["w_norm"] ** (2 - 2 / L),
                                                 rel=1e-12)
        assert c["holds"]
    ups = [c for c in data["checks"] if c["bound"] == "MC-SI/S_SI"]
    if ups:  # a constant 8 times smaller (L Lambda ||w*||^(2-2/L)) is violated
        assert any(c["observed"] > c["bound_value"] / 8 for c in ups)


def test_mc_sharpness_matches_independent_hessian(rendered):
    """The recorded sharpness of one converged run equals lambda_max of a finite-difference Hessian of the loss."""
    import numpy as np

    from implicitreg.numerics import deep_linear as DL

    data = rendered[1]["mc-small-init"]
    run = [r for r in data["meta"]["runs"] if r["status"] == 1 and r["depth"] == 2][0]
    from implicitreg.experiments import mc

    xy, _ = mc._regression_data(data["meta"]["n"], data["meta"]["d"], seed=0)
    rng = np.random.default_rng(run["seed"])
    net = DL.small_init(xy.d, 2, run["scale"], rng)
    res = DL.deep_gradient_descent(net, xy, data["meta"]["eta"], data["meta"]["steps"])
    theta = DL.flatten(res.net)
    X, y = xy.X_array("float"), xy.y_array("float")

    def loss(th):
        W = DL.unflatten(th, res.net)
        w = (W.weights[1] @ W.weights[0]).ravel()
        return float(np.mean((y - X @ w) ** 2))

    h = 1e-4
    n = len(theta)
    H = np.zeros((n, n))
    E = np.eye(n) * h
    for i in range(n):
        for j in range(i, n):
            H[i, j] = H[j, i] = (loss(theta + E[i] + E[j]) - loss(theta + E[i] - E[j])
                                 - loss(theta - E[i] + E[j]) + loss(theta - E[i] - E[j])) / (4 * h * h)
    assert np.linalg.eigvalsh(H)[-1] == pytest.approx(run["sharpness"], rel=1e-5)


# ---------------------------------------------------------------------------------------------
# MC: bands, markers, S / S_LB, depth fits, step sizes; the new experiments
# ---------------------------------------------------------------------------------------------

def test_batched_gd_equals_the_one_network_reference():
    """numerics.batched_gd against numerics.deep_linear.deep_gradient_descent (its own loop), small and residual."""
    import numpy as np

    from implicitreg.numerics import deep_linear as DL
    from implicitreg.numerics.batched_gd import batched_gradient_descent, stack

    data = DL.gaussian_data(20, 3, seed=5)
    for nets, eta in (([DL.small_init(3, 4, 0.4, np.random.default_rng(s)) for s in range(3)], 0.03),
                      ([DL.residual_init(3, 3, 0.5, np.random.default_rng(s)) for s in range(2)], 0.05)):
        Ws, head = stack(nets)
        res = batched_gradient_descent(Ws, head, data, eta, 200)
        for i, net in enumerate(nets):
            ref = DL.deep_gradient_descent(net, data, eta, 200)
            for a, b in zip(ref.net.weights, res.network(i).weights):
                assert np.allclose(a, b, rtol=1e-12, atol=1e-13)
            assert res.loss[i] == pytest.approx(float(DL.loss(ref.net, data)), rel=1e-10)
    # divergence is detected and frozen
    nets = [DL.small_init(3, 4, 1.5, np.random.default_rng(0))]
    res = batched_gradient_descent(*stack(nets), data, 5.0, 200)
    assert res.diverged[0] and res.diverged_at[0] > 0 and np.isnan(res.loss[0])
    # ... also with the layers stacked in one array (square layers under a head), next to a run that is unaffected
    nets = [DL.residual_init(3, 3, 0.5, np.random.default_rng(s)) for s in range(2)]
    res = batched_gradient_descent(*stack(nets), data, [50.0, 0.05], 200)
    assert res.diverged.tolist() == [True, False] and res.diverged_at[0] > 0 and np.isnan(res.loss[0])
    assert all(np.isnan(W[0]).all() for W in res.weights)
    ref = DL.deep_gradient_descent(nets[1], data, 0.05, 200)
    for a, b in zip(ref.net.weights, res.network(1).weights):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-13)


def test_mean_band_is_the_student_t_interval():
    import numpy as np
    import scipy.stats

    from implicitreg.experiments.mc import mean_band

    v = [1.0, 2.0, 4.0, 3.5, 2.5]
    m, lo, hi = mean_band(v)
    h = scipy.stats.t.ppf(0.975, 4) * np.std(v, ddof=1) / np.sqrt(5)
    assert (m, lo, hi) == pytest.approx((2.6, 2.6 - h, 2.6 + h), rel=1e-12)
    assert mean_band([1.0])[1] is None


@pytest.mark.parametrize("name", ["mc-small-init", "mc-residual", "mc-underdetermined"])
def test_mc_markers_ratio_panel_and_bands(rendered, name):
    data = rendered[1][name]
    keys = [p["key"] for p in data["panels"]]
    assert "ratio" in keys and "distance" not in keys
    consts = data["meta"]["data"]
    runs = data["meta"]["runs"]
    for c in curves(data, panel="ratio", role="observed"):
        L = int(c["series"].split("=")[1])
        s_lb = 2 * L * consts["a"] * consts["w_norm"] ** (2 - 2 / L)  # typed from deep_linear.md s3
        for x, y in zip(c["x"], c["y"]):
            ss = [r["sharpness"] / s_lb for r in runs if r["depth"] == L and r["scale"] == x and r["status"] == 1]
            assert y == pytest.approx(sum(ss) / len(ss), rel=1e-9)
        if c["y_low"] is not None:
            assert all(lo is None or lo <= y <= hi for y, lo, hi in zip(c["y"], c["y_low"], c["y_high"]))
    # every diverged run and every violated check is marked, in the data file
    diverged = [r for r in runs if r["status"] < 0]
    assert len([m for m in data["markers"] if m["kind"] == "diverged"]) == len(diverged) == data["meta"]["diverged"]
    bad = [c for c in data["checks"] if not c["holds"]]
    marks = [m for m in data["markers"] if m["kind"] == "violation"]
    assert len(marks) == len(bad) == len(data["meta"]["violations"])


def test_mc_violation_marker_from_a_failing_check():
    from implicitreg.experiments import mc

    probe = F.FigureData("probe", "", "", [])
    probe.checks.append(F.BoundCheck("sharpness", "L=3", "MC-SI/S_SI", "upper", "reconstructed", 0.5, 40.0, 35.5,
                                     False))
    mc._mark_violations(probe)
    (m,) = probe.markers
    assert m.kind == "violation" and (m.x, m.y) == (0.5, 40.0)


@pytest.mark.parametrize("name", ["mc-small-init", "mc-residual"])
def test_mc_depth_slope_on_four_depths(rendered, name):
    data = rendered[1][name]
    (panel,) = [p for p in data["panels"] if p["key"] == "depth"]
    assert panel["integer_x"]
    assert len(data["meta"]["depths_fitted"]) >= 4
    s = slope(data, "depth", "depth")
    assert s["x_range"] == [min(data["meta"]["depths_fitted"]), max(data["meta"]["depths_fitted"])]
    assert s["predicted"] == 1


def test_quick_and_full_use_the_same_step_sizes(monkeypatch):
    from implicitreg.experiments import mc

    seen = {}
    monkeypatch.setattr(mc, "_mc_sharpness_figure", lambda name, *a, **kw: seen.setdefault((name, a[1]), kw))
    for name in ("mc-small-init", "mc-residual", "mc-underdetermined"):
        for quick in (True, False):
            F.get_figure(name).compute(quick, F.Progress(False))
        assert seen[(name, True)]["eta"] == seen[(name, False)]["eta"]
    assert seen[("mc-underdetermined", False)]["n"] == 15 and seen[("mc-underdetermined", False)]["d"] == 20
    assert seen[("mc-residual", False)]["reps"] >= 20 and seen[("mc-small-init", False)]["reps"] >= 20


def test_mc_lr_depth_threshold_and_divergence(rendered):
    data = rendered[1]["mc-lr-depth"]
    a, wn = data["meta"]["data"]["a"], data["meta"]["data"]["w_norm"]
    assert data["meta"]["depths"] == [5, 10, 20, 40]
    for L in (5, 10, 20, 40):
        t = 2 / (2 * L * a * wn ** (2 - 2 / L))  # 2 / S_LB, typed; the authors draw 2 / (2 a L) at ||w*|| = 1
        assert data["meta"]["thresholds"][str(L)] == pytest.approx(t, rel=1e-12)
        frac = curves(data, panel="diverged", series=f"L={L}", role="observed")[0]
        assert frac["y"][0] == 0 and frac["y"][-1] == 1
        # no divergence well below the threshold
        assert all(f == 0 for x, f in zip(frac["x"], frac["y"]) if x < t / 2)
    checks = data["checks"]
    assert checks and all(c["holds"] for c in checks)


def test_mc_sharpness_training_stays_below_two_over_eta(rendered):
    data = rendered[1]["mc-sharpness-training"]
    s_lb = data["meta"]["S_LB"]
    a, wn, L = data["meta"]["data"]["a"], data["meta"]["data"]["w_norm"], data["meta"]["L"]
    assert s_lb == pytest.approx(2 * L * a * wn ** (2 - 2 / L), rel=1e-12)
    for eta in data["meta"]["etas"]:
        final = [v for v in data["meta"]["final_sharpness"][f"eta={eta}"] if v is not None]
        dist = curves(data, panel="distance", series=f"eta={eta}", role="observed")[0]["y"][-1]
        assert final
        if dist < 1e-8:
            # converged: to a minimizer with S_LB <= S (MC-LB) <= 2/eta (linear stability)
            assert all(s_lb * 0.999 <= v <= 2 / eta * 1.001 for v in final)
        if 2 / eta < s_lb:
            # 2/eta < S_LB <= S at every minimizer: no minimizer is stable, GD keeps oscillating at the edge
            assert dist > 1e-6 and all(v > 2 / eta * 0.9 for v in final)
        ref = curves(data, panel="sharpness", series=f"eta={eta}", role="reference")[0]
        assert ref["y"] == [2 / eta, 2 / eta]
    assert any(2 / eta < s_lb for eta in data["meta"]["etas"])
    assert curves(data, panel="distance", series="eta=0.02", role="observed")[0]["y"][-1] < 1e-8


# ---------------------------------------------------------------------------------------------
# the GELU MLP (outside the theorems): gradient and complex-step Hessian against finite differences
# ---------------------------------------------------------------------------------------------

def test_gelu_mlp_derivatives_against_finite_differences():
    import numpy as np

    from implicitreg.numerics import gelu_mlp as G

    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((6, 2)), rng.standard_normal(6)
    net = G.small_init(2, 3, 0.8, rng)
    theta = net.flat()
    P = len(theta)

    def R(t):
        return G.loss(net.with_flat(t), X, y)

    # the GELU (tanh form) typed from its definition
    z = np.linspace(-3, 3, 7)
    assert np.allclose(G.gelu(z), 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3))), rtol=1e-15)
    e = 1e-6
    E = np.eye(P)
    fd_grad = np.array([(R(theta + e * E[j]) - R(theta - e * E[j])) / (2 * e) for j in range(P)])
    assert np.allclose(np.concatenate([g.ravel() for g in G.gradient(net, X, y)]), fd_grad, rtol=1e-6, atol=1e-9)
    h = 1e-4
    fd_H = np.array([[(R(theta + h * (E[i] + E[j])) - R(theta + h * (E[i] - E[j])) - R(theta - h * (E[i] - E[j]))
                       + R(theta - h * (E[i] + E[j]))) / (4 * h * h) for j in range(P)] for i in range(P)])
    H = G.hessian(net, X, y)
    assert np.allclose(H, fd_H, rtol=1e-4, atol=1e-6)
    assert G.sharpness(net, X, y) == pytest.approx(np.linalg.eigvalsh(fd_H)[-1], rel=1e-4)
    # batched GD equals one-network steps
    res = G.mlp_gradient_descent([net, G.small_init(2, 3, 0.5, rng)], X, y, 0.05, 20)
    t = theta.copy()
    for _ in range(20):
        t = t - 0.05 * np.concatenate([g.ravel() for g in G.gradient(net.with_flat(t), X, y)])
    assert np.allclose(res.nets[0].flat(), t, rtol=1e-12, atol=1e-14)
    # a diverging run is dropped from the batch without disturbing the others
    big = G.small_init(2, 3, 0.8, rng)
    big = G.MLP((big.weights[0] * 1e200,) + big.weights[1:])  # overflows at the first step
    res2 = G.mlp_gradient_descent([big, net], X, y, 0.05, 20)
    assert res2.diverged.tolist() == [True, False] and np.isnan(res2.loss[0])
    assert np.allclose(res2.nets[1].flat(), t, rtol=1e-12, atol=1e-14)


def test_mc_gelu_is_labelled_outside_the_theorems(rendered):
    data = rendered[1]["mc-gelu"]
    assert data["meta"]["outside_theorems"] is True and data["meta"]["L"] == 10 and data["meta"]["n"] == 50
    assert "outside the theorems" in data["title"]
    obs = curves(data, panel="sharpness", role="observed")
    assert obs and all(v > 0 for c in obs for v in c["y"])
