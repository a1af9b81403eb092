"""Benchmark: training a sweep's torch students batched (one stacked model) vs one by one.

The students of one digits sweep — methods × repeats × capacities, each with its own seed, teacher
probabilities and KD knobs — trained (a) sequentially, one ``make_student(...).fit_kd`` per student,
(b) at once with ``kdviz.neural.students.fit_kd_many``. Prints wall times, the ratio and the largest
difference between the two sets of predictions (they train the same networks).

    python benchmarks/bench_neural.py                       # mlp students, 48 of them, CPU, 1 thread
    python benchmarks/bench_neural.py --student cnn --students 24
    python benchmarks/bench_neural.py --device cuda         # or KDVIZ_DEVICE=cuda
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import kdviz.neural  # noqa: F401  (registers the torch families and students)
from kdviz.data.load import load_dataset
from kdviz.kd.distill import one_hot
from kdviz.kd.methods import METHODS, kd_methods
from kdviz.kd.students import STUDENTS, KDSpec, make_student
from kdviz.neural.students import fit_kd_many
from kdviz.presets import BENCH_NEURAL
from kdviz.teachers import make_teacher

METHOD_SPECS = {  # every KD method with a teacher, from the method table
    m: KDSpec(corrected=METHODS[m].corrected, gamma="bound_fast", c=0.1 if METHODS[m].corrected else None,
              temperature=4.0, alpha=0.9)
    for m in kd_methods() if METHODS[m].teacher != "none"
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--student", default=BENCH_NEURAL["student"],
                    choices=[k for k, s in STUDENTS.items() if s.needs_torch])
    ap.add_argument("--students", type=int, default=48, help="number of students (methods × repeats × capacities)")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    ap.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    args = ap.parse_args()
    if args.device:
        os.environ["KDVIZ_DEVICE"] = args.device

    ds = load_dataset(BENCH_NEURAL["dataset"], seed=0, label_noise=0.2)
    Y = one_hot(ds.y_train, ds.n_classes)
    caps = [2, 5, 10, 20]
    teacher = make_teacher(BENCH_NEURAL["teacher"], caps, seed=0, lr=1e-2, batch_size=128).fit(ds.X_train, ds.y_train, 10)
    P = teacher.predict_proba_path(ds.X_train)
    jobs = []
    i = 0
    while len(jobs) < args.students:
        method = list(METHOD_SPECS)[i % len(METHOD_SPECS)]
        cap = (i // len(METHOD_SPECS)) % len(caps)
        jobs.append((1000 + i, P[cap], METHOD_SPECS[method]))
        i += 1
    opts = dict(epochs=args.epochs, batch_size=args.batch_size, threads=args.threads)

    base = make_student(args.student, seed=0, **opts)
    fit_kd_many(base, ds.X_train[:64], Y[:64], [(j[0], j[1][:64], j[2]) for j in jobs[:2]])  # warm-up (allocator, kernels)
    t0 = time.perf_counter()
    stack = fit_kd_many(base, ds.X_train, Y, jobs)
    batched_scores = stack.predict_scores(ds.X_test)
    t_batched = time.perf_counter() - t0

    t0 = time.perf_counter()
    seq_scores = []
    for seed, p, spec in jobs:
        s = make_student(args.student, seed=seed, **opts).fit_kd(ds.X_train, Y, p, spec)
        seq_scores.append(s.predict_scores(ds.X_test))
    t_seq = time.perf_counter() - t0
    seq_scores = np.stack(seq_scores)

    diff = float(np.abs(batched_scores - seq_scores).max())
    acc = float(np.mean(batched_scores.argmax(-1) == ds.y_test))
    out = {"student": args.student, "students": len(jobs), "epochs": args.epochs, "threads": args.threads,
           "device": str(stack.device), "sequential_s": round(t_seq, 3), "batched_s": round(t_batched, 3),
           "ratio": round(t_seq / t_batched, 2), "max_abs_diff": diff, "mean_test_accuracy": round(acc, 4)}
    print(json.dumps(out, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
