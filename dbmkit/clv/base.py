"""The fitter base class of the CLV models: what every maximum-likelihood model of :mod:`dbmkit.clv` shares.

Conventions (scikit-learn's): ``__init__`` only stores the settings (``max_iter``); everything learned is set by
``fit`` and ends with an underscore (``params_``, ``log_likelihood_``, ``n_customers_``, ``n_unique_rows_``,
``at_boundary_``); a method that needs a fit raises :class:`NotFittedError` before one. A model's parameters may
also be set by hand (``model.params_ = {...}``) to predict with known values; ``summary()`` then needs a real fit.

Also here: :class:`ConvergenceError`, the one ``summary()`` (standard errors from the Hessian of the
log-likelihood) and ``__repr__``.

>>> class Coin(Fitter):
...     param_names = ("p",)
...     model_name = "coin"
>>> Coin()
Coin(unfitted)
>>> Coin().summary()
Traceback (most recent call last):
...
dbmkit.clv.base.NotFittedError: fit the model first: Coin().fit(frequency, recency, T)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Fitter", "ConvergenceError", "NotFittedError"]


class ConvergenceError(RuntimeError):
    """A maximum-likelihood fit that did not converge (the message says what to check)."""


class NotFittedError(RuntimeError, AttributeError):
    """A method that needs a fitted model was called before ``fit``.

    Like scikit-learn's ``NotFittedError`` it is an ``AttributeError`` (so ``hasattr(model, "mean_spend_")`` is
    False before a fit); it is also a ``RuntimeError``, what these models raised before. scikit-learn's class is
    not subclassed: importing scikit-learn would add most of a second to every chapter that uses ``dbm.clv``."""


def _hessian_se(grad, theta: np.ndarray) -> np.ndarray:
    """Standard errors of log-parameters from a finite-difference Hessian of the total log-likelihood."""
    k = len(theta)
    H = np.zeros((k, k))
    for i in range(k):
        h = 1e-5 * max(1.0, abs(theta[i]))
        e = np.zeros(k)
        e[i] = h
        H[:, i] = (grad(theta + e) - grad(theta - e)) / (2 * h)
    H = (H + H.T) / 2
    try:
        cov = np.linalg.inv(-H)
        return np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        return np.full(k, np.nan)


def _summary_table(names, params: dict, se_log: np.ndarray) -> pd.DataFrame:
    est = np.array([params[n] for n in names])
    return pd.DataFrame({"parameter": list(names), "estimate": est, "std_error": est * se_log,
                         "ci_low": est * np.exp(-1.96 * se_log), "ci_high": est * np.exp(1.96 * se_log)})


class Fitter:
    """Base of the maximum-likelihood models (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma).

    A subclass names its parameters (``param_names``, in the order the likelihood uses them), its ``model_name``
    and the arguments of its ``fit`` (``fit_args``, for messages). Its ``fit`` sets ``params_`` and
    ``log_likelihood_``, and for :meth:`summary` the optimum ``_theta_`` (log-parameters in the scaled units the
    fit works in) and the scaled data ``_data_``; :meth:`_log_likelihood_gradient` gives the gradient of the
    total log-likelihood there (default: the subclass's analytic ``_ll_grad(theta, data)``).
    """

    param_names: tuple[str, ...] = ()
    model_name: str = ""
    fit_args: str = "frequency, recency, T"

    def __init__(self, max_iter: int = 2000):
        self.max_iter = max_iter

    # ---- fitted state
    def _p(self) -> tuple[float, ...]:
        """The fitted (or hand-set) parameters in ``param_names`` order; NotFittedError before a fit."""
        params = getattr(self, "params_", None)
        if not params:
            raise NotFittedError(f"fit the model first: {type(self).__name__}().fit({self.fit_args})")
        return tuple(params[n] for n in self.param_names)

    def _log_likelihood_gradient(self, theta: np.ndarray) -> np.ndarray:
        return self._ll_grad(theta, self._data_)[1]

    # ---- shared reporting
    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and 95 % intervals (from the Hessian of the log-likelihood; the
        intervals are symmetric on the log scale)."""
        self._p()
        if not hasattr(self, "_theta_"):
            raise NotFittedError(f"summary() needs the likelihood of a fit: the parameters of this "
                                 f"{type(self).__name__} were set by hand; call .fit({self.fit_args}) first")
        se = _hessian_se(self._log_likelihood_gradient, self._theta_)
        return _summary_table(self.param_names, self.params_, se)

    def __repr__(self) -> str:
        params = getattr(self, "params_", None)
        if not params:
            return f"{type(self).__name__}(unfitted)"
        ps = ", ".join(f"{k}={v:.4g}" for k, v in params.items())
        return f"{type(self).__name__}({ps}, log_likelihood={getattr(self, 'log_likelihood_', float('nan')):.2f})"
