"""Deep linear networks for regression: loss, gradient, exact Hessian, sharpness, minimizers, flows.

Conventions (``docs/theory/deep_linear.md``; Marion & Chizat, arXiv 2405.13456, and the authors' code):

* data X (n x d), y (n); Sigma = X^T X / n; b = X^T y / n;
* network W_1 (d_1 x d), ..., W_L (d_L x d_{L-1}) with a *head*: either ``None`` (then d_L = 1 and the
  prediction is W_L ... W_1 x) or a fixed, untrained vector p (the residual network, prediction
  p^T W_L ... W_1 x); the end-to-end vector is w = (h^T W_L ... W_1)^T with h = 1 or p;
* **loss R(W) = (1/n) ||y - X w||^2, with no factor 1/2** [authors' code]; R = (w - w*)^T Sigma (w - w*) + R_min;
* w* = pinv(X^T X) X^T y, computed exactly (minimum-norm least squares when Sigma is singular);
* u_k^T = h^T W_L ... W_{k+1} (u_L = h), V_{k-1} = W_{k-1} ... W_1 (V_0 = I), so w^T = u_k^T W_k V_{k-1};
* grad_{W_k} R = 2 u_k g^T V_{k-1}^T with g = Sigma w - b = Sigma (w - w*);
* parameters are flattened layer by layer, each W_k row-major (the order of :func:`flatten`).

Arrays are numpy arrays of ``float64`` (fast experiments) or of ``object`` dtype holding ``mpmath.mpf``
(high precision): every formula below is written once and runs on both. mpf arrays are built at the
working precision of the caller (``with mpmath.workdps(n):``); functions that promise digits take ``dps``.

Sharpness S(W) = largest eigenvalue of the Hessian of R in all trained parameters [paper]. Computed by

* :func:`sharpness_exact`: the full Hessian assembled entry by entry (:func:`hessian`) and its largest eigenvalue by
  python-flint's QR algorithm with a residual check (:func:`largest_eigenvalue_qr`), mpmath's symmetric eigensolver
  ``eigsy`` where that check refuses, or numpy ``eigvalsh`` for float arrays;
* :func:`sharpness_lanczos` / :func:`sharpness_power`: Hessian-vector products (:func:`hessian_vector_product`,
  the directional derivative of the gradient, never forming H) with Lanczos (full reorthogonalization) or
  power iteration;
* :func:`sharpness_closed_form`: at a global minimizer H = J^T (2 Sigma) J [derived,
  ``proofs/derivations/sharpness.py``], so S = 2 lambda_max(Sigma^(1/2) M Sigma^(1/2)) with
  M = sum_k ||u_k||^2 V_{k-1}^T V_{k-1}. Valid only at minimizers.

Minimizers: :func:`balanced_rank_one_minimizer`, :func:`aligned_minimizer` (attains the S_min objective at t),
:func:`random_minimizer` (any widths, unbalanced, optionally with a residual head); :func:`min_sharpness` and
:func:`balanced_sharpness` give S_min and S_bal [derived]. Flows: :func:`gradient_flow` (mpf: the shared
``numerics.flow.integrate``; float64: ``scipy.integrate.solve_ivp`` RK45), :func:`deep_gradient_descent`;
:func:`imbalances` are the quantities gradient flow conserves [standard].

The package's modules follow these seams: ``data`` (regression data, constants, instances), ``model`` (the
network, loss, derivatives, initializations), ``minimizers``, ``sharpness``, ``flows``; every name is importable
from the package itself (``from implicitreg.numerics.deep_linear import X``).
Initializations and data follow the authors' code: :func:`small_init`, :func:`residual_init`,
:func:`gaussian_data` (made exact), and :func:`eigenvector_data` (the equality family, exact).
"""
from __future__ import annotations

from implicitreg.numerics.deep_linear._arrays import (_is_mp, _sqrt, _norm, _zero_like, to_mp, to_float, _eye,
                                                      _mp_matrix, symmetric_eigenvalues, largest_eigenvalue_qr,
                                                      symmetric_eigh, symmetric_sqrt, _as)  # noqa: F401
from implicitreg.numerics.deep_linear.data import (RegressionData, _convert, DataConstants, data_constants,
                                                   rational_orthogonal, eigenvector_data, gaussian_data)  # noqa: F401
from implicitreg.numerics.deep_linear.model import (LOSS_CONVENTION, DeepLinearNetwork, flatten, unflatten,
                                                    _prefix_products, _suffix_vectors, end_to_end, loss, excess_loss,
                                                    _residual_direction, gradient, jacobian, hessian,
                                                    hessian_vector_product, end_to_end_metric, imbalances, small_init,
                                                    residual_init)  # noqa: F401
from implicitreg.numerics.deep_linear.minimizers import (_unit_vectors, aligned_minimizer,
                                                         balanced_rank_one_minimizer, random_minimizer, _basis_vector,
                                                         Alignment, alignment)  # noqa: F401
from implicitreg.numerics.deep_linear.sharpness import (SharpnessResult, sharpness_exact, sharpness_closed_form,
                                                        _random_start, sharpness_power, sharpness_lanczos,
                                                        _tridiagonal, MinSharpness, min_sharpness_objective,
                                                        min_sharpness, balanced_sharpness)  # noqa: F401
from implicitreg.numerics.deep_linear.flows import (DeepFlowResult, gradient_flow, deep_gradient_descent)  # noqa: F401

__all__ = ["to_mp", "to_float", "symmetric_eigenvalues", "largest_eigenvalue_qr", "symmetric_eigh", "symmetric_sqrt",
           "RegressionData", "DataConstants", "data_constants", "rational_orthogonal", "eigenvector_data",
           "gaussian_data", "LOSS_CONVENTION", "DeepLinearNetwork", "flatten", "unflatten", "end_to_end", "loss",
           "excess_loss", "gradient", "jacobian", "hessian", "hessian_vector_product", "end_to_end_metric",
           "imbalances", "small_init", "residual_init", "aligned_minimizer", "balanced_rank_one_minimizer",
           "random_minimizer", "Alignment", "alignment", "SharpnessResult", "sharpness_exact", "sharpness_closed_form",
           "sharpness_power", "sharpness_lanczos", "MinSharpness", "min_sharpness_objective", "min_sharpness",
           "balanced_sharpness", "DeepFlowResult", "gradient_flow", "deep_gradient_descent"]
