"""Theory: the paper's bound terms measured on synthetic data where p0 is known (THEORY §5–§6).

- `controlled`   the controlled teacher p̂ = σ(κ·logit p0 + ε·h(x)) and the measurement of one run
- `experiments`  the registered experiments ``theory-capacity``, ``theory-eps``, ``theory-n``, ``theory-c``
- `fits`         fitted log-log slopes with confidence intervals, fitted bound scalings
- `plots`        the four theory charts (pure plotly functions)
"""

from kdviz.theory.controlled import (
    BiasField,
    ControlledTeacher,
    MethodSpec,
    controlled_proba,
    make_bias_field,
    measure_run,
)
from kdviz.theory.experiments import (
    DEFAULT_EPS_GRID,
    CSweepConfig,
    EpsSweepConfig,
    SizeSweepConfig,
    make_c_config,
    make_capacity_config,
    make_eps_config,
    make_size_config,
)
from kdviz.theory.fits import (
    FITTED_LABEL,
    BoundFit,
    SlopeFit,
    bias_dominated,
    fit_bound,
    fit_bounds,
    fit_slope,
    loglog_slope,
    reference_line,
)

__all__ = [
    "BiasField", "ControlledTeacher", "MethodSpec", "controlled_proba", "make_bias_field", "measure_run",
    "DEFAULT_EPS_GRID", "CSweepConfig", "EpsSweepConfig", "SizeSweepConfig", "make_c_config",
    "make_capacity_config", "make_eps_config", "make_size_config",
    "FITTED_LABEL", "BoundFit", "SlopeFit", "bias_dominated", "fit_bound", "fit_bounds", "fit_slope",
    "loglog_slope", "reference_line",
]
