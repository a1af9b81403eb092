"""The `kdviz` command line: run sweeps headless (and, with kdviz.jobs, in the background).

    kdviz sweep --dataset synthetic:gmm --teacher rf-depth --capacities 1,2,3,5,10,20 --student rf \\
        --methods no_kd,vanilla,crossfit,corrected,enhanced --scale logp --folds 10 --repeats 5 \\
        --seed 0 --out results.csv

Bad arguments exit non-zero with one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

import pandas as pd

from kdviz.cli.tools import (
    ProgressBar,
    UsageError,
    capped_jobs,
    check_out,
    describe_data,
    input_files,
    note,
    summary_table,
)
from kdviz.config import PRESETS, SweepConfig, apply_preset, load_config_file, make_config, sweep_fields
from kdviz.errors import DatasetError, KdvizError
from kdviz.kd.csearch import C_SEARCHES
from kdviz.plugins import load_user_plugins
from kdviz.schema import FieldSpec


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # one line, exit 2 (argparse's convention)
        self.exit(2, f"kdviz: error: {message} (see `kdviz {self.prog.split()[-1]} --help`)\n")


def _csv_list(cast: Callable[[str], Any]) -> Callable[[str], tuple]:
    def parse(text: str) -> tuple:
        try:
            return tuple(cast(x.strip()) for x in text.split(",") if x.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}") from None
    return parse


def _option(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    for cast in (int, float):
        try:
            return key, cast(value)
        except ValueError:
            pass
    return key, {"none": None, "true": True, "false": False}.get(value.lower(), value)


#: SweepConfig fields without a flag of their own (--teacher-option / --student-option set them)
_NO_FLAG = ("teacher_options", "student_options")
_TYPES: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "ints": _csv_list(int),
                                           "floats": _csv_list(float), "strs": _csv_list(str)}


class _HelpFormatter(argparse.HelpFormatter):
    """Reads a sweep flag's help from the schema when --help is shown (so registries are listed as they are now)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        spec = getattr(action, "schema_field", None)
        if spec is None:
            return super()._get_help_string(action)
        text = spec.help(literals=False)
        if spec.kind in ("ints", "floats", "strs"):
            text = "comma-separated: " + text
        return text.replace("%", "%%")


def sweep_flags() -> dict[str, FieldSpec]:
    """The `kdviz sweep` / `kdviz submit` flags (``--folds``, ``--c-grid``, ...) and the SweepConfig field of each."""
    return {spec.flag: spec for name, spec in sweep_fields().items() if name not in _NO_FLAG}


def _flag_kwargs(spec: FieldSpec) -> dict[str, Any]:
    kw: dict[str, Any] = {"help": spec.description or spec.name}
    if spec.kind in _TYPES:
        kw["type"] = _TYPES[spec.kind]
    if spec.literal is not None and spec.kind == "str":
        kw["choices"] = list(spec.literal)  # registry choices are checked by the config (its messages name them)
    return kw


def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    """The flags shared by `kdviz sweep` and `kdviz submit`."""
    p.add_argument("--config", help="TOML or JSON file with the sweep's settings (flags override it)")
    p.add_argument("--preset", choices=sorted(PRESETS), help="start from a ready-made configuration")
    for flag, spec in sweep_flags().items():
        action = p.add_argument(flag, dest=spec.name, default=None, **_flag_kwargs(spec))
        action.schema_field = spec  # type: ignore[attr-defined]  # read by _HelpFormatter
    p.add_argument("--teacher-option", action="append", type=_option, default=[], metavar="KEY=VALUE",
                   help="teacher family option, e.g. n_estimators=100 (repeatable)")
    p.add_argument("--student-option", action="append", type=_option, default=[], metavar="KEY=VALUE",
                   help="student option, e.g. n_estimators=10 (repeatable)")


def config_from_args(args: argparse.Namespace) -> SweepConfig:
    values: dict[str, Any] = load_config_file(args.config, keep_preset=True) if args.config else {}
    preset = args.preset or values.pop("preset", None)
    values.pop("preset", None)
    for field in sweep_flags().values():
        v = getattr(args, field.name)
        if v is not None:
            values[field.name] = v
    values, notes = apply_preset(preset, values)  # demo n / label noise: the preset's own dataset only
    for text in notes:
        note(f"note: {text}")
    if isinstance(values.get("c"), str) and values["c"].strip().lower() in C_SEARCHES:
        values["c"] = values["c"].strip().lower()
    elif values.get("c") is not None:
        try:
            values["c"] = float(values["c"])
        except (TypeError, ValueError):
            raise UsageError(f"--c must be a positive number or 'cv' (full cross-validation) or 'cv-fast' "
                             f"(the cheaper search of c), got {values['c']!r}") from None
    if args.teacher_option:
        values["teacher_options"] = {**values.get("teacher_options", {}), **dict(args.teacher_option)}
    if args.student_option:
        values["student_options"] = {**values.get("student_options", {}), **dict(args.student_option)}
    return make_config(**values)


def _write_table(df: pd.DataFrame, out: str | None) -> None:
    if out:
        try:
            df.to_csv(out, index=False)
        except OSError as e:
            raise UsageError(f"cannot write {out}: {e.strerror or e}") from None
        print(f"wrote {len(df)} rows to {out}", file=sys.stderr)


def cmd_sweep(args: argparse.Namespace) -> int:
    from kdviz.sweep import run_sweep

    config = config_from_args(args)
    check_out(args.out, *input_files(args, config))
    jobs = capped_jobs(args.jobs)
    try:
        ds = describe_data(config)
    except DatasetError as e:
        if config.paper and config.dataset.startswith("openml:"):
            raise DatasetError(f"{e} — for this preset: kdviz sweep --preset {args.preset} --dataset csv:PATH "
                               "--target LABEL_COLUMN") from None
        raise
    df = run_sweep(config, jobs=jobs, progress=None if args.quiet else ProgressBar(), dataset=ds)
    _write_table(df, args.out)
    print(summary_table(df))
    return 0


def cmd_paper_compare(args: argparse.Namespace) -> int:
    from kdviz.paper import PaperMismatchError, compare

    if args.require is not None and not 0 < args.require <= 1:
        raise UsageError(f"--require is a share between 0 and 1 (e.g. 0.9), got {args.require}")
    try:
        results = pd.read_csv(args.results)
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read results table {args.results}: {e}") from None
    methods = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else None
    tol_level = args.tol_level if args.tol_level is not None else args.tol
    tol_effect = args.tol_effect if args.tol_effect is not None else args.tol
    try:
        agreement = compare(results, args.paper, scale=args.scale, tol_level=tol_level, tol_effect=tol_effect,
                            metric=args.metric, methods=methods)
    except PaperMismatchError as e:
        print(f"kdviz: error: {e}", file=sys.stderr)
        return 2
    if args.out:
        _write_table(agreement.table(), args.out)
    print(agreement.text())
    if args.require is not None and not agreement.passes(args.require):
        print(f"kdviz: agreement below --require {args.require:g}: {agreement.share('levels'):.0%} of the published "
              f"levels and {agreement.share('effects'):.0%} of the published effects are within tolerance (a cell "
              f"not compared counts as outside), {agreement.signs_ok}/{agreement.signs_checked} signs reproduced",
              file=sys.stderr)
        return 1
    return 0


def _add_paper_commands(sub: argparse._SubParsersAction) -> None:
    from kdviz.paper import DEFAULT_TOL

    paper = sub.add_parser("paper", help="the paper's published numbers beside yours")
    psub = paper.add_subparsers(dest="paper_command", required=True, parser_class=_Parser)
    p = psub.add_parser("compare", help="your results against every published cell: levels, effects, signs")
    p.add_argument("results", help="results CSV of a paper preset (kdviz sweep --preset paper-<dataset>-<A|B> --out)")
    p.add_argument("--paper", default=None, help="which experiment, e.g. magic-B (default: guessed from the table)")
    p.add_argument("--scale", default=None, choices=["logp", "p"],
                   help="the scale every row was run on, for tables without a 'scale' column (default logp)")
    p.add_argument("--tol-level", type=float, default=None, help=f"tolerance of a level (default {DEFAULT_TOL:g})")
    p.add_argument("--tol-effect", type=float, default=None,
                   help=f"tolerance of an effect: method − vanilla, vanilla − no-KD (default {DEFAULT_TOL:g})")
    p.add_argument("--tol", type=float, default=DEFAULT_TOL, help="both tolerances at once")
    p.add_argument("--require", type=float, default=None,
                   help="exit 1 when the share of published levels, of effects within tolerance, or of the "
                        "signs of published effects > 0.01 reproduced is below this (e.g. 0.9; a cell not "
                        "compared counts as outside)")
    p.add_argument("--methods", default=None, help="compare only these methods, e.g. teacher,vanilla,crossfit,enhanced")
    p.add_argument("--metric", default="test_auc", help="metric column (the paper reports test AUC)")
    p.add_argument("--out", default=None, help="also write the per-cell comparison to this CSV file")
    p.set_defaults(func=cmd_paper_compare)


def build_parser() -> argparse.ArgumentParser:
    load_user_plugins()  # $KDVIZ_PLUGINS: their settings get flags too
    parser = _Parser(prog="kdviz", description="Knowledge distillation as semiparametric inference, made visible.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("sweep", help="run a capacity sweep in this process and write the results table")
    add_sweep_arguments(p)
    p.add_argument("--out", help="write the tidy results table to this CSV file")
    p.add_argument("--jobs", type=int, default=None, help="parallel worker processes (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
    _add_paper_commands(sub)
    _add_plugin_commands(sub)
    return parser


def _add_plugin_commands(sub: argparse._SubParsersAction) -> None:
    try:
        from kdviz.cli.jobs import add_job_commands
    except ImportError:
        return
    add_job_commands(sub, add_sweep_arguments, config_from_args)


def main(argv: list[str] | None = None) -> int:
    # Plug-ins (torch teachers/students, experiments) load when a command first needs a registry
    # (`--help`, a config's teacher or student, a job's experiment), so `kdviz jobs` starts without torch.
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        rc = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return rc
    except KdvizError as e:
        print(f"kdviz: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kdviz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `kdviz jobs | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
