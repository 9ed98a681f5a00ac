"""scikit-learn's own ``sklearn/linear_model/tests/test_logistic.py``, run with our classes.

The installed scikit-learn's test module is imported and its ``LogisticRegression`` and
``LogisticRegressionCV`` are replaced by ours through :mod:`._adapter` (the solver names
mapped, nothing else); every test of it is collected here. Tests that exercise what we do
not have (parameters such as ``penalty``, ``dual``, ``intercept_scaling``, ``n_jobs``;
scikit-learn's private helpers; liblinear/sag/saga specifics) are skipped with their reason
by ``conftest.OUT_OF_SCOPE``.
"""

import pytest
import sklearn

# the lists of conftest.py are written for this series' test module
SERIES = "1.9."
if not sklearn.__version__.startswith(SERIES):
    pytest.skip(
        f"the out-of-scope and known-gap lists are for scikit-learn {SERIES}x, "
        f"not {sklearn.__version__}",
        allow_module_level=True,
    )
upstream = pytest.importorskip("sklearn.linear_model.tests.test_logistic")

from . import _adapter  # noqa: E402

upstream.LogisticRegression = _adapter.LogisticRegression
upstream.LogisticRegressionCV = _adapter.LogisticRegressionCV

globals().update({name: obj for name, obj in vars(upstream).items() if name.startswith("test_")})
pytestmark = getattr(upstream, "pytestmark", [])
