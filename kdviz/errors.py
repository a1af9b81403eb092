"""User-facing errors: every message says what is wrong and what to do about it."""


class KdvizError(ValueError):
    """Base class for errors whose message is meant for the user."""


class DatasetError(KdvizError):
    """A dataset cannot be loaded or is unsuitable for distillation."""


class ConfigError(KdvizError):
    """A run configuration is invalid."""
