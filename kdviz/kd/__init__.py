"""Knowledge distillation: the method table, KD targets and corrections, the c search, students, metrics."""
