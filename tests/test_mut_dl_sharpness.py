"""Direct tests of numerics/deep_linear (sharpness.py, minimizers.py, model.py) for the ``dl-*`` mutation targets.

Every expected value is a closed form worked out by hand (written in each docstring), never a value of the code:
the scalar network w = b a on data with Sigma = s (R = s (w* - a b)^2 + R_min, loss (1/n) ||y - X w||^2, no 1/2)
has the Hessian [[2 s b^2, 2 s (2ab - w*)], [2 s (2ab - w*), 2 s a^2]], so S = 2 s (a^2 + b^2) at a minimizer; and
Sigma = diag(2, 8), w* = e_1 (X = diag(2, 4), y = (2, 0)) has S_min at the crossing of the two eigenvalues.
"""
from __future__ import annotations

import mpmath
import numpy as np
import pytest

from implicitreg.numerics import deep_linear as dl

ROW = dl.RegressionData.from_lists([[1], [1]], [3, 3], name="row")          # n = 2, Sigma = 1, w* = 3
SCALED = dl.RegressionData.from_lists([[2]], [6], name="scaled")          # n = 1, Sigma = 4, w* = 3
DIAG = dl.RegressionData.from_lists([[2, 0], [0, 4]], [2, 0], name="diag")  # Sigma = diag(2, 8), w* = e_1


def scalar_net(a, b, kind="float"):
    net = dl.DeepLinearNetwork((np.array([[float(a)]]), np.array([[float(b)]])))
    return net.as_mp() if kind == "mp" else net


def scalar_hessian_top(s, ws, a, b):
    """lambda_max of [[2 s b^2, 2 s (2ab - w*)], [., 2 s a^2]] (hand-derived Hessian of s (w* - ab)^2)."""
    p, q, r = 2 * s * b * b, 2 * s * (2 * a * b - ws), 2 * s * a * a
    return (p + r) / 2 + mpmath.sqrt(((p - r) / 2) ** 2 + q * q)


@pytest.mark.parametrize("data, s", [(ROW, 1), (SCALED, 4)])
@pytest.mark.parametrize("a, b", [(2, 1.5), (1, 2), (0.5, 0.25)])
def test_sharpness_exact_is_the_top_hessian_eigenvalue_with_the_1_over_n_loss(data, s, a, b):
    got = dl.sharpness_exact(scalar_net(a, b), data)
    with mpmath.workdps(30):
        want = scalar_hessian_top(s, 3, mpmath.mpf(a), mpmath.mpf(b))
        assert got.method == "eigvalsh" and abs(got.value - float(want)) < 1e-12 * float(want)
        got = dl.sharpness_exact(scalar_net(a, b, "mp"), data, dps=30)
        assert got.method == "flint-qr" and abs(got.value - want) < mpmath.mpf(10) ** -25 * want


def test_sharpness_exact_falls_back_to_eigsy_when_the_qr_check_refuses(monkeypatch):
    monkeypatch.setattr(dl.sharpness, "largest_eigenvalue_qr", lambda H: None)
    with mpmath.workdps(30):
        got = dl.sharpness_exact(scalar_net(1, 2, "mp"), ROW, dps=30)
        assert got.method == "eigsy" and abs(got.value - (5 + mpmath.sqrt(13))) < mpmath.mpf(10) ** -25


def _mp(rows):
    return dl.to_mp(np.array(rows, dtype=object))


def test_largest_eigenvalue_qr_on_hand_spectra_and_its_refusals():
    """[[2, 1], [1, 2]]: 3; [[4]]: 4 (nothing to separate from); diag(3, 3, 1) and diag(0, 0): a tie at the top,
    refused (None) so that eigsy decides; a top eigenvalue 1e-7 ||A||_F above the next one is refused too."""
    with mpmath.workdps(40):
        assert abs(dl.largest_eigenvalue_qr(_mp([[2, 1], [1, 2]])) - 3) < mpmath.mpf(10) ** -38
        assert dl.largest_eigenvalue_qr(_mp([[4]])) == 4
        assert dl.largest_eigenvalue_qr(_mp([[3, 0, 0], [0, 3, 0], [0, 0, 1]])) is None
        assert dl.largest_eigenvalue_qr(_mp([[0, 0], [0, 0]])) is None
        close = dl.to_mp(np.diag([1 + 1e-7, 1.0]).astype(object))
        assert dl.largest_eigenvalue_qr(close) is None
        apart = dl.to_mp(np.diag([1 + 1e-5, 1.0]).astype(object))
        assert dl.largest_eigenvalue_qr(apart) == apart[0, 0]
        # entries beyond the float64 range: no float64 spectrum to check against, refused (eigsy decides)
        huge = _mp([[2, 1], [1, 2]]) * mpmath.mpf(10) ** 400
        assert dl.largest_eigenvalue_qr(huge) is None


def test_largest_eigenvalue_qr_agrees_with_eigsy_on_random_symmetric_matrices():
    rng = np.random.default_rng(11)
    with mpmath.workdps(50):
        for n in (2, 5, 12, 30):
            B = rng.normal(size=(n, n))
            A = dl.to_mp(B + B.T)
            want = max(mpmath.eigsy(mpmath.matrix(A.tolist()), eigvals_only=True))
            got = dl.largest_eigenvalue_qr(A)
            assert got is not None and abs(got - want) <= mpmath.mpf(10) ** -45 * abs(want)


def test_largest_eigenvalue_qr_refuses_an_eigenvector_whose_residual_is_too_large(monkeypatch):
    """A QR run that returns a wrong vector (here: the eigenvector of the smaller eigenvalue, 1, paired with the value
    3 of [[2, 1], [1, 2]]) fails the residual check."""
    import flint

    real_eig = flint.acb_mat.eig

    class Swapped(flint.acb_mat):
        def eig(self, *args, **kwargs):
            E, R = real_eig(self, *args, **kwargs)
            k = max(range(2), key=lambda i: E[i].real.mid())
            R2 = flint.acb_mat([[R[i, 1 - k] if j == k else R[i, j] for j in range(2)] for i in range(2)])
            return E, R2

    monkeypatch.setattr(flint, "acb_mat", Swapped)
    with mpmath.workdps(30):
        assert dl.largest_eigenvalue_qr(_mp([[2, 1], [1, 2]])) is None


def test_largest_eigenvalue_qr_refuses_a_true_eigenpair_that_is_not_the_largest(monkeypatch):
    """A QR run that loses the top eigenvalue (reported as -5): the pair it then picks, (1, its eigenvector), passes
    the residual check, and only the float64 spectrum's top (3) shows it is not the largest."""
    import flint

    real_eig = flint.acb_mat.eig

    class LostTop(flint.acb_mat):
        def eig(self, *args, **kwargs):
            E, R = real_eig(self, *args, **kwargs)
            top = max(range(2), key=lambda i: E[i].real.mid())
            return [flint.acb(-5) if i == top else E[i] for i in range(2)], R

    monkeypatch.setattr(flint, "acb_mat", LostTop)
    with mpmath.workdps(30):
        assert dl.largest_eigenvalue_qr(_mp([[2, 1], [1, 2]])) is None


def test_sharpness_exact_works_at_the_requested_digits():
    with mpmath.workdps(15):
        net = scalar_net(1, 2, "mp")
        lo = dl.sharpness_exact(net, ROW, dps=15).value
        hi = dl.sharpness_exact(net, ROW, dps=40).value
    with mpmath.workdps(50):
        want = 5 + mpmath.sqrt(13)                        # [[8, 2], [2, 2]]: 5 + sqrt(13)
        assert abs(hi - want) < mpmath.mpf(10) ** -35 and abs(lo - want) > mpmath.mpf(10) ** -30


@pytest.mark.parametrize("kind", ["float", "mp"])
def test_closed_form_equals_the_exact_sharpness_only_at_minimizers(kind):
    with mpmath.workdps(30):
        at_min = dl.sharpness_closed_form(scalar_net(2, 1.5, kind), SCALED)
        assert at_min.method == "closed_form" and abs(at_min.value - 50) < 1e-10   # 2 s (a^2 + b^2), s = 4
        off = dl.sharpness_closed_form(scalar_net(1, 2, kind), ROW).value           # 2 (a^2 + b^2) = 10
        assert abs(off - 10) < 1e-10


@pytest.mark.parametrize("method", ["power", "lanczos"])
def test_iterative_sharpness_agrees_with_the_hand_eigenvalue(method):
    want = 5 + np.sqrt(13)
    f = dl.sharpness_power if method == "power" else dl.sharpness_lanczos
    got = f(scalar_net(1, 2), ROW, tol=1e-12)
    assert got.method == method and abs(got.value - want) < 1e-9 * want
    assert got.iterations >= 1 and got.error_bound <= 1e-12 * max(want, 1) * 1.0001
    with mpmath.workdps(30):
        got = f(scalar_net(1, 2, "mp"), ROW) if method == "lanczos" else f(scalar_net(1, 2, "mp"), ROW,
                                                                           tol=mpmath.mpf(10) ** -25)
        assert abs(got.value - (5 + mpmath.sqrt(13))) < mpmath.mpf(10) ** -20


def test_power_iteration_refuses_when_it_does_not_converge():
    from implicitreg.errors import ConvergenceError

    with pytest.raises(ConvergenceError, match="power iteration: residual .* after 2 iterations"):
        dl.sharpness_power(scalar_net(1, 2), ROW, tol=1e-15, max_iter=2)


@pytest.mark.parametrize("L, crossing", [
    (2, lambda: 1 / mpmath.sqrt(3)),                          # 2 t + 2/t = 8 t
    (3, lambda: mpmath.cbrt(mpmath.mpf(2) / 3) ** 2),         # 2 t + 4 t^(-1/2) = 8 t: t^(3/2) = 2/3
])
def test_min_sharpness_at_the_crossing_of_the_two_eigenvalues(L, crossing):
    """Sigma = diag(2, 8), w* = e_1: S_min = min_t 2 max(2 (t + (L-1) t^(-1/(L-1))), 8 t); the first branch's own
    minimum (t = 1) lies where 8 t is larger, so the minimum is at the crossing, 16 t*."""
    with mpmath.workdps(40):
        want = 16 * crossing()
        got = dl.min_sharpness(DIAG, L, dps=30)
        assert abs(got.value - want) < mpmath.mpf(10) ** -25
        assert abs(2 * 8 * got.t - want) < mpmath.mpf(10) ** -12
        assert 0 < got.log_t_width < mpmath.mpf(10) ** -29 and got.iterations > 0
        objective = dl.min_sharpness_objective(DIAG.sigma("mp"), DIAG.w_star("mp"), L, got.t)
        assert abs(objective - want) < mpmath.mpf(10) ** -12


@pytest.mark.parametrize("L", [2, 3, 5])
def test_min_sharpness_in_one_dimension_is_the_lower_bound(L):
    """d = 1, Sigma = s: min_t 2 s (t + (L-1) t^(-1/(L-1)) w^2) = 2 L s |w|^(2-2/L) at t = |w|^(2(L-1)/L)."""
    with mpmath.workdps(40):
        got = dl.min_sharpness(SCALED, L, dps=30)
        want = 2 * L * 4 * mpmath.mpf(3) ** (2 - mpmath.mpf(2) / L)
        assert abs(got.value - want) < mpmath.mpf(10) ** -25 * want
        t_star = mpmath.mpf(3) ** (2 * mpmath.mpf(L - 1) / L)
        # the minimizer t to the requested digits, inside the reported bracket up to the rounding of t to 30 digits
        # (a smooth minimum: searching at only dps + 10 digits resolved t to ~20 digits and left t* ~1e-20 outside
        # a bracket reported as 1e-32 wide)
        assert abs(got.t - t_star) < mpmath.mpf(10) ** -28 * t_star
        assert abs(mpmath.log(got.t) - mpmath.log(t_star)) <= got.log_t_width + mpmath.mpf(10) ** -30


# --- lambda_max(diag(d) + c v v^T) by the secular equation (S_min's objective in the eigenbasis of Sigma) ---------

TOP = dl.sharpness._top_eigenvalue_diagonal_plus_rank_one


@pytest.mark.parametrize("d, v, c, want", [
    # [[2, 1], [1, 3]]: (5 + sqrt 5) / 2
    ((1, 2), (1, 1), 1, lambda: (5 + mpmath.sqrt(5)) / 2),
    # diag(1, 5) + e_1 e_1^T: the coordinate without weight wins, 5 (the kink of S_min's objective)
    ((1, 5), (1, 0), 1, lambda: mpmath.mpf(5)),
    # diag(4, 0) + 3 (1, 1)(1, 1)^T = [[7, 3], [3, 3]]: 5 + sqrt 13
    ((4, 0), (1, 1), 3, lambda: 5 + mpmath.sqrt(13)),
    # c = 0: the largest d
    ((2, 7, 3), (1, 1, 1), 0, lambda: mpmath.mpf(7)),
    # a weight far below the resolution of d_1 = 3 (1e-160): the eigenvalue 3, while (0, 1) gives 1 + 1 = 2
    ((3, 1), ("1e-80", 1), 1, lambda: mpmath.mpf(3)),
    # three poles: [[2, 1, 2], [1, 3, 2], [2, 2, 14]], characteristic polynomial lambda^3 - 19 lambda^2 + 67 lambda
    # - 58 (hand-expanded: trace 19, principal 2x2 minors 5 + 24 + 38, determinant 76 - 10 - 8); its largest root
    ((1, 2, 10), (1, 1, 2), 1, lambda: max(mpmath.polyroots([1, -19, 67, -58], extraprec=60))),
])
def test_top_eigenvalue_of_a_diagonal_plus_rank_one_matrix(d, v, c, want):
    with mpmath.workdps(40):
        got = TOP([mpmath.mpf(x) for x in d], [mpmath.mpf(x) for x in v], mpmath.mpf(c))
        assert abs(got - want()) <= mpmath.mpf(10) ** -37 * abs(want())


def test_top_eigenvalue_of_a_diagonal_plus_rank_one_matrix_agrees_with_eigsy_on_random_data():
    rng = np.random.default_rng(7)
    with mpmath.workdps(50):
        for _ in range(20):
            k = int(rng.integers(1, 6))
            d = [mpmath.mpf(float(x)) for x in rng.uniform(0, 5, k)]
            v = [mpmath.mpf(float(x)) if rng.random() < 0.8 else mpmath.mpf(0) for x in rng.normal(size=k)]
            c = mpmath.mpf(float(rng.uniform(0, 3)))
            M = mpmath.diag(d) + c * mpmath.matrix(v) * mpmath.matrix(v).T
            want = max(mpmath.eigsy(M, eigvals_only=True))
            assert abs(TOP(d, v, c) - want) <= mpmath.mpf(10) ** -45 * (1 + abs(want))


@pytest.mark.parametrize("L, want", [(2, 16), (3, 16), (5, 20)])
def test_balanced_sharpness_takes_the_larger_eigenvalue(L, want):
    """S_bal = 2 |w*|^(2-2/L) lambda_max(Sigma + (L-1) z z^T / |w*|^2) = 2 max(2 + 2 (L-1), 8) for DIAG."""
    with mpmath.workdps(40):
        got = dl.balanced_sharpness(DIAG, L, dps=30)
        assert abs(got - want) < mpmath.mpf(10) ** -28
    with mpmath.workdps(40):                                  # |w*| = 3, s = 4: 2 * 3^(2-2/L) * 4 L
        assert abs(dl.balanced_sharpness(SCALED, L) - 8 * L * mpmath.mpf(3) ** (2 - mpmath.mpf(2) / L)) < 1e-25


def test_sharpness_bounds_refuse_w_star_0():
    from implicitreg.errors import InvalidParameterError

    zero = dl.RegressionData.from_lists([[1, 0], [0, 1]], [0, 0])
    with pytest.raises(InvalidParameterError, match="^w\\* = 0: S_min is 0 and the bounds need"):
        dl.min_sharpness(zero, 2)
    with pytest.raises(InvalidParameterError, match="^w\\* = 0: S_bal needs"):
        dl.balanced_sharpness(zero, 2)


# --- minimizers: the product is w*, the layer norms and the sharpness are the hand values --------------------------

def product(net):
    """W_L ... W_1 (numpy, independent of the model module)."""
    P = np.array(net.weights[0], dtype=float)
    for W in net.weights[1:]:
        P = np.array(W, dtype=float) @ P
    return P


@pytest.mark.parametrize("t, want", [(1.0, 16.0), (0.25, 17.0), (4.0, 64.0)])
def test_aligned_minimizer_attains_the_objective_at_t(t, want):
    """DIAG, L = 2: the aligned minimizer at t has S = 2 max(2 (t + 1/t), 8 t) (the S_min objective, by hand)."""
    w = DIAG.w_star("float")
    net = dl.aligned_minimizer(w, 2, t)
    assert np.allclose(product(net), [[1, 0]]) and net.shapes == ((2, 2), (1, 2))
    assert abs(np.linalg.norm(net.weights[0]) - 1 / np.sqrt(t)) < 1e-12       # ||w*|| / sqrt(t)
    assert abs(np.linalg.norm(net.weights[1]) - t ** 0.5) < 1e-12              # t^(1/(2(L-1)))
    assert abs(dl.sharpness_exact(net, DIAG).value - want) < 1e-9 * want
    rotated = dl.aligned_minimizer(w, 2, t, widths=[3], rng=np.random.default_rng(5))
    assert rotated.shapes == ((3, 2), (1, 3)) and np.allclose(product(rotated), [[1, 0]])
    assert abs(dl.sharpness_exact(rotated, DIAG).value - want) < 1e-9 * want


def test_aligned_minimizer_at_depth_3_has_layer_norms_t_to_the_quarter():
    w = SCALED.w_star("float")                                                   # w* = 3
    net = dl.aligned_minimizer(w, 3, 16.0)
    assert abs(product(net)[0, 0] - 3) < 1e-12
    assert abs(np.linalg.norm(net.weights[0]) - 3 / 4) < 1e-12 and all(
        abs(np.linalg.norm(W) - 2) < 1e-12 for W in net.weights[1:])         # 16^(1/4) = 2
    with mpmath.workdps(30):
        mp = dl.aligned_minimizer(SCALED.w_star("mp"), 3, "16")
        assert abs(mp.weights[1][0, 0] - 2) < mpmath.mpf(10) ** -25 and abs(mp.weights[0][0, 0] - mpmath.mpf(3) / 4) \
            < mpmath.mpf(10) ** -25


def test_minimizer_refusals():
    from implicitreg.errors import InvalidParameterError

    w = DIAG.w_star("float")
    with pytest.raises(InvalidParameterError, match="^need 2 hidden widths, got 1$"):
        dl.aligned_minimizer(w, 3, 1.0, widths=[2])
    with pytest.raises(InvalidParameterError, match="^w\\* = 0: the aligned minimizer needs"):
        dl.aligned_minimizer(np.zeros(2), 2, 1.0)
    for t in (0.0, -1.0):
        with pytest.raises(InvalidParameterError, match="^t must be > 0, got"):
            dl.aligned_minimizer(w, 2, t)
    with pytest.raises(InvalidParameterError, match="^need 2 widths, got 3$"):
        dl.random_minimizer(w, 3, [2, 2, 2], np.random.default_rng(0))
    with pytest.raises(InvalidParameterError, match="^need 3 widths, got 2$"):
        dl.random_minimizer(w, 3, [2, 2], np.random.default_rng(0), head=np.ones(2))


@pytest.mark.parametrize("L", [2, 3, 4])
def test_balanced_minimizer_has_equal_layer_norms_and_no_imbalance(L):
    w = SCALED.w_star("float")                                                   # |w*| = 3
    net = dl.balanced_rank_one_minimizer(w, L)
    assert abs(product(net)[0, 0] - 3) < 1e-12
    assert all(abs(np.linalg.norm(W) - 3 ** (1 / L)) < 1e-12 for W in net.weights)
    Ws = net.weights
    assert all(np.allclose(Ws[k].T @ Ws[k], Ws[k - 1] @ Ws[k - 1].T) for k in range(1, L))
    # S = S_LB = 2 L s |w*|^(2-2/L) for d = 1 (balanced is the minimum)
    assert abs(dl.sharpness_exact(net, SCALED).value - 8 * L * 3 ** (2 - 2 / L)) < 1e-9 * 8 * L * 9


@pytest.mark.parametrize("seed", [0, 1])
def test_random_minimizer_is_a_global_minimizer_with_and_without_a_head(seed):
    w = DIAG.w_star("float")
    rng = np.random.default_rng(seed)
    net = dl.random_minimizer(w, 3, [3, 2], rng)
    assert net.shapes == ((3, 2), (2, 3), (1, 2)) and np.allclose(product(net), [[1, 0]])
    head = np.array([1.0, 0.0, 0.0])
    res = dl.random_minimizer(w, 2, [3, 3], np.random.default_rng(seed), head=head)
    assert res.shapes == ((3, 2), (3, 3)) and np.allclose(head @ product(res), [1, 0])
    # unbalanced: the layer norms differ, and the scales multiply the Gaussian layers
    scaled = dl.random_minimizer(w, 3, [3, 2], np.random.default_rng(seed), scales=[1.0, 1.0, 10.0])
    assert np.allclose(product(scaled), [[1, 0]])
    assert np.allclose(scaled.weights[2], 10 * net.weights[2])


def test_aligned_minimizer_with_random_directions_stays_in_the_arithmetic_of_w_star():
    """Random unit directions (``rng``) for a float64 w* give a float64 network, for an mpf w* an mpf one; the
    directions are the documented ones: v_k = g_k / ||g_k|| for the successive standard-normal draws g_k."""
    w = DIAG.w_star("float")                                                      # w* = e_1, ||w*|| = 1
    net = dl.aligned_minimizer(w, 3, 4.0, widths=[3, 2], rng=np.random.default_rng(7))
    assert all(W.dtype == np.float64 for W in net.weights)
    draws = np.random.default_rng(7)
    g1, g2 = draws.standard_normal(3), draws.standard_normal(2)
    v1, v2 = g1 / np.linalg.norm(g1), g2 / np.linalg.norm(g2)
    # W_1 = (||w*|| / sqrt(t)) v_1 e_1^T, W_2 = t^(1/4) v_2 v_1^T, W_3 = t^(1/4) v_2^T (t = 4)
    assert np.allclose(net.weights[0], np.outer(v1, [1, 0]) / 2, atol=1e-14)
    assert np.allclose(net.weights[1], np.sqrt(2) * np.outer(v2, v1), atol=1e-14)
    assert np.allclose(net.weights[2], np.sqrt(2) * v2[None, :], atol=1e-14)
    with mpmath.workdps(30):
        mp = dl.aligned_minimizer(DIAG.w_star("mp"), 3, 4, widths=[3, 2], rng=np.random.default_rng(7))
        assert all(W.dtype == object and isinstance(W[0, 0], mpmath.mpf) for W in mp.weights)
        # the mpf directions are renormalized at the working precision: ||v_1|| = 1 to 30 digits
        col = mp.weights[0][:, 0] * 2
        assert abs(mpmath.fsum(c * c for c in col) - 1) < mpmath.mpf(10) ** -28


def test_balanced_minimizer_passes_its_widths_and_random_directions_on():
    """balanced_rank_one_minimizer(w*, L, widths, rng) is the aligned minimizer at t = ||w*||^(2-2/L) with the given
    hidden widths and the random unit directions v_k = g_k / ||g_k|| (layer norms ||w*||^(1/L) = 3^(1/L))."""
    w = SCALED.w_star("float")                                                   # w* = 3 (d = 1)
    net = dl.balanced_rank_one_minimizer(w, 3, widths=[4, 2], rng=np.random.default_rng(3))
    assert net.shapes == ((4, 1), (2, 4), (1, 2))
    assert all(W.dtype == np.float64 for W in net.weights)
    draws = np.random.default_rng(3)
    g1, g2 = draws.standard_normal(4), draws.standard_normal(2)
    v1, v2 = g1 / np.linalg.norm(g1), g2 / np.linalg.norm(g2)
    c = 3 ** (1 / 3)
    assert np.allclose(net.weights[0], c * v1[:, None], atol=1e-12)
    assert np.allclose(net.weights[1], c * np.outer(v2, v1), atol=1e-12)
    assert np.allclose(net.weights[2], c * v2[None, :], atol=1e-12)
    assert abs(product(net)[0, 0] - 3) < 1e-12
    # without rng: the directions are e_1
    plain = dl.balanced_rank_one_minimizer(w, 3, widths=[4, 2])
    assert plain.shapes == ((4, 1), (2, 4), (1, 2))
    assert np.allclose(plain.weights[0][:, 0], [c, 0, 0, 0]) and np.allclose(plain.weights[1], [[c, 0, 0, 0],
                                                                                                   [0, 0, 0, 0]])


# --- Brent's minimization (numerics/golden_section.py), which S_min runs on ----------------------------------------

def test_brent_minimum_is_superlinear_on_a_smooth_minimum_and_keeps_its_bracket():
    """f = (x - 2)^2 + 1 on [0, 5] at 80 digits, to width 1e-35: a handful of parabolic steps (golden section alone:
    ~170); x = 2 inside the final bracket, which is at most the width."""
    from implicitreg.numerics.golden_section import brent_minimum
    with mpmath.workdps(80):
        r = brent_minimum(lambda x: (x - 2) ** 2 + 1, mpmath.mpf(0), mpmath.mpf(5), mpmath.mpf(10) ** -35)
        assert r.lo <= 2 <= r.hi and r.hi - r.lo <= mpmath.mpf(10) ** -35 and abs(r.x - 2) <= r.hi - r.lo
        assert r.iterations <= 20 and r.fx == 1


@pytest.mark.parametrize("f, lo, hi, xstar", [
    (lambda x: abs(x - 2) + 1, 0, 5, lambda: mpmath.mpf(2)),
    # the crossing of 2 (x - 1)^2 + 3 and 8 x: 2 x^2 - 12 x + 5 = 0, x = 3 - sqrt(26)/2 (by hand)
    (lambda x: max(2 * (x - 1) ** 2 + 3, 8 * x), -1, 3, lambda: 3 - mpmath.sqrt(26) / 2),
    # the minimum at an end of the interval
    (lambda x: x * x, 0, 1, lambda: mpmath.mpf(0)),
])
def test_brent_minimum_at_a_kink_and_at_an_end_falls_back_to_golden_steps(f, lo, hi, xstar):
    from implicitreg.numerics.golden_section import brent_minimum
    with mpmath.workdps(80):
        r = brent_minimum(f, mpmath.mpf(lo), mpmath.mpf(hi), mpmath.mpf(10) ** -35)
        assert r.lo <= xstar() <= r.hi and r.hi - r.lo <= mpmath.mpf(10) ** -35
        assert r.iterations <= 2 * 175  # never much slower than golden section's ~170 steps
