"""kdviz: knowledge distillation as semiparametric inference, made visible."""

__version__ = "0.1.0"
