"""Commands ``train``, ``runs``, ``eval`` and ``reproduce`` (results are checked through them).

``python -m mannlib train TASK MODEL [--seed S] [--profile paper|quick] [--set key=value ...]``
    trains (or loads from the cache) and prints the run id as the last line of stdout.
``python -m mannlib runs [--json]``
    the runs in the cache: id, task, model, seed, profile, status and summary metrics.
``python -m mannlib eval RUN_ID --n N --seed S [--difficulty D ...] [--json]``
    scores a run on fresh data: ``{"run", "task", "model", "by_difficulty": {"D": value}}``,
    value = accuracy (Wang's tasks) or ``{"coarse", "fine"}`` (Yang's tasks).
``python -m mannlib reproduce CHAPTER [--set key=value ...] [--jobs 2] [--force] [--dry-run]``
    trains every paper-profile run of a chapter, ``--jobs`` runs at a time, one thread each,
    after an estimate of the time it takes; ``--set`` changes one of the chapter's parameters
    (the names of its notebook's parameters cell); ``--dry-run`` trains nothing and prints which
    runs are cached and the CPU-hours of the rest.
``... --launcher ray [--address HOST:PORT] [--shared-fs]`` (``reproduce`` and ``train``)
    the same runs as Ray tasks on a cluster (:mod:`mannlib.engine.ray_launch`): one task per run,
    one CPU each (one GPU with ``--device cuda``), the same run ids and results; ``--jobs`` then
    caps the runs at a time (default: the cluster's CPUs).
``python -m mannlib reproduce mirror|m10ae --protocol paper|strict [--jobs 2] [--dry-run]``
    Wang's tuning protocol instead (:func:`mannlib.chapters.wang_protocol.reproduce`): the grid
    tuned by successive halving on a development set over the test range (paper) or the training
    range (strict), then the chosen cells with seeds 0-2; stage by stage, resumable; ``--dry-run``
    prints the runs of the stages already determined and a bound for the others.
``python -m mannlib reference [CHAPTER ...] [--write]``
    recomputes the quick-profile reference results and compares them with tests/reference
    (or rewrites them): see :mod:`mannlib.reference`.
"""
from __future__ import annotations

import json
import sys

from .engine.config import PROFILES, WANG_TASKS, ConfigError, parse_override, profile_config


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("train", help="train a run (or load it from the cache); prints its id")
    p.add_argument("task", help="mirror, m10ae, copy, reverse, bigramflip, double or addition")
    p.add_argument("model", help="srnn, lstm, sann, tann, lantm-invnorm or lantm-softmax")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--profile", choices=PROFILES, default="paper")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field, e.g. --set lr=1e-4 --set sizes.hidden=64")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default $MANNLIB_THREADS, else 1)")
    p.add_argument("--progress", choices=("auto", "bar", "coarse", "none"), default="auto")
    p.add_argument("--device", default=None, help="cpu (default, or $MANNLIB_DEVICE), cuda or cuda:N")
    add_launcher_arguments(p)
    p.set_defaults(func=train_command)

    p = subparsers.add_parser("runs", help="list the runs in the cache")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--drop-weights", nargs="+", metavar="RUN_ID", default=None,
                   help="delete these runs' weights, keeping their metrics (see mannlib.engine.cache.drop_weights)")
    p.add_argument("--restore-weights", nargs="+", metavar="RUN_ID", default=None,
                   help="retrain these runs to bring their weights back; the retrained run must reproduce the "
                        "committed metrics (see mannlib.engine.cache.restore_weights)")
    p.set_defaults(func=runs_command)

    p = subparsers.add_parser("eval", help="evaluate a run on freshly sampled data")
    p.add_argument("run")
    p.add_argument("--n", type=int, required=True, help="examples per difficulty")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--difficulty", type=int, nargs="+", action="extend", default=None,
                   help="difficulties (default: the task's whole test range)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=eval_command)

    p = subparsers.add_parser("reproduce", help="train every paper-profile run of a chapter")
    p.add_argument("chapter")
    p.add_argument("--jobs", type=int, default=None,
                   help="runs at a time, one torch thread each (default 2; with --launcher ray, the cluster's CPUs)")
    p.add_argument("--force", action="store_true", help="retrain runs that are already complete")
    p.add_argument("--dry-run", action="store_true",
                   help="train nothing: list the runs, which are cached, and the CPU-hours of the rest")
    p.add_argument("--record-prices", default=None, metavar="FILE",
                   help="with --dry-run: write the measured prices to FILE (JSON), e.g. "
                        "data/every_memory/prices.json, which the chapter's budget check reads")
    p.add_argument("--protocol", choices=("paper", "strict"), default=None,
                   help="mirror, m10ae: Wang's tuning protocol (issue 15) instead of the committed runs; the "
                        "development set spans the test range (paper) or stays in the training range (strict)")
    p.add_argument("--set", dest="knobs", action="append", default=[], metavar="KEY=VALUE",
                   help="a chapter parameter, e.g. --set seeds=5 (the names of the notebook's parameters cell)")
    p.add_argument("--device", default=None, help="cpu (default, or $MANNLIB_DEVICE), cuda or cuda:N")
    add_launcher_arguments(p)
    p.set_defaults(func=reproduce_command)

    from .reference import add_parser as add_reference_parser
    add_reference_parser(subparsers)


def add_launcher_arguments(p) -> None:
    p.add_argument("--launcher", default=None, metavar="{local,ray}",
                   help="where runs train: local processes (default, or $MANNLIB_LAUNCHER) or a Ray cluster")
    p.add_argument("--address", default=None, metavar="HOST:PORT",
                   help="--launcher ray: the cluster's head (default $RAY_ADDRESS, else the cluster last started "
                        "here with ray start, else a Ray instance started for the sweep)")
    p.add_argument("--shared-fs", action="store_true", default=None,
                   help="--launcher ray: the workers see the run cache at this path and write into it "
                        "(default: each run is sent back and written here)")


def launch_options(args) -> dict:
    """``launcher``, ``address`` and ``shared_fs`` from the command line, checked."""
    from .engine.workers import check_launcher
    launcher = check_launcher(args.launcher)
    if launcher != "ray" and (args.address or args.shared_fs):
        raise ConfigError("--address and --shared-fs go with --launcher ray")
    return dict(launcher=launcher, address=args.address, shared_fs=args.shared_fs)


def train_command(args) -> int:
    from .engine.cache import train_or_load
    from .tasks import get_task
    get_task(args.task)  # unknown names fail here, naming the allowed ones
    launch = launch_options(args)
    overrides = dict(parse_override(text) for text in args.overrides)
    config = profile_config(args.task, args.model, args.profile, args.seed, **overrides)
    if launch["launcher"] != "local":   # one Ray task; its report on stderr, the run loaded from the cache here
        from .engine.launch import train_all
        for failure in train_all([config], f"{args.task}-{args.model}", device=args.device, out=sys.stderr, **launch):
            raise ValueError(failure)
    run = train_or_load(config, progress=args.progress, threads=args.threads, device=args.device)
    print(_summary_line(run.summary), file=sys.stderr)
    print(run.id)
    return 0


def runs_command(args) -> int:
    from .engine.cache import drop_weights, jsonable, list_runs, load_run, restore_weights
    for run in args.drop_weights or ():
        print(f"dropped the weights of {drop_weights(run).name}", file=sys.stderr)
    for run in args.restore_weights or ():
        print(f"restored the weights of {restore_weights(load_run(run)).id}", file=sys.stderr)
    rows = list_runs()
    if args.json:
        print(json.dumps([jsonable(r) for r in rows], indent=1))
        return 0
    header = ("id", "task", "model", "seed", "profile", "status", "train_acc", "test_acc", "wall_s")
    table = [header] + [tuple(_fmt(r.get(k)) for k in header) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return 0


def eval_command(args) -> int:
    from .engine.cache import RunError, load_run
    from .engine.train import evaluate
    if args.n <= 0:
        raise ConfigError(f"--n must be a positive number of examples, got {args.n}")
    run = load_run(args.run)
    if run.model is None:
        raise RunError(f"run {run.id} was saved without weights (save_weights=False, or dropped with "
                       f"runs --drop-weights); bring them back with: python -m mannlib runs --restore-weights {run.id}")
    by = evaluate(run.model, run.task, args.n, args.seed, args.difficulty)
    if run.config.task in WANG_TASKS:  # Wang: whole-sequence accuracy
        values = {str(d): row.accuracy for d, row in by.iterrows()}
    else:                              # Yang §4: coarse and fine scores
        values = {str(d): {"coarse": row.accuracy, "fine": row.fine} for d, row in by.iterrows()}
    out = {"run": run.id, "task": run.config.task, "model": run.config.model, "by_difficulty": values}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{run.id}  (n = {args.n} per difficulty, seed {args.seed})")
        for d, v in values.items():
            print(f"  {d:>4}  " + (f"{v:.4f}" if isinstance(v, float) else
                                    f"coarse {v['coarse']:.4f}  fine {v['fine']:.4f}"))
    return 0


def reproduce_command(args) -> int:
    from .chapters import pipelines, target_runs
    from .engine.launch import train_all
    from .engine.train import resolve_device
    from .engine.workers import slots
    if args.jobs is not None and args.jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, got {args.jobs}")
    launch = launch_options(args)
    if launch["launcher"] == "ray":   # the workers' GPUs, not this machine's: checked by name here
        from .engine.ray_launch import device_name
        device = device_name(args.device)
    else:
        device = str(resolve_device(args.device))  # a bad or missing device fails here, before any run
    if args.protocol:
        from .chapters.wang_protocol import reproduce
        if args.force or args.knobs:
            raise ConfigError("--protocol takes no --force or --set (to retrain a run, delete its directory)")
        jobs = slots(launch["launcher"], args.jobs, device, args.address) if args.dry_run else args.jobs
        return reproduce(args.chapter, args.protocol, jobs=jobs, device=device, dry_run=args.dry_run, **launch)
    knobs = dict(parse_override(k) for k in args.knobs)
    pipeline = pipelines().get(args.chapter)
    if pipeline:  # e.g. signatures: its own resumable pipeline under data/
        if device != "cpu":
            raise ConfigError(f"reproduce {args.chapter} runs on the CPU only; drop --device {args.device}")
        if launch["launcher"] != "local":
            raise ConfigError(f"reproduce {args.chapter} runs its own pipeline on local processes; drop --launcher ray")
        import inspect
        allowed = [n for n, prm in inspect.signature(pipeline).parameters.items() if prm.kind is prm.KEYWORD_ONLY]
        unknown = [k for k in knobs if k not in allowed]
        if unknown:
            raise ConfigError(f"unknown parameter {unknown[0]!r} for {args.chapter}; choose one of {', '.join(allowed)}")
        try:
            pipeline("paper", jobs=slots("local", args.jobs), dry_run=args.dry_run, **knobs)
        except ValueError as e:      # bad values are caught by settings() before anything trains
            raise ConfigError(str(e)) from None
        return 0
    try:
        configs = target_runs(args.chapter, **knobs)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    if args.dry_run:
        return _dry_run(args.chapter, configs, slots(launch["launcher"], args.jobs, device, args.address), args.force,
                        args.record_prices)
    if args.record_prices:
        raise ConfigError("--record-prices measures the plan: use it with --dry-run")
    failed = train_all(configs, args.chapter, jobs=args.jobs, device=device, force=args.force, **launch)
    if failed:
        print(f"{len(failed)} of {len(configs)} runs failed", file=sys.stderr)
    return 1 if failed else 0


def _dry_run(chapter: str, configs, jobs: int, force: bool, record: str | None = None) -> int:
    """``reproduce --dry-run``: the plan, measured step times, and the CPU-hours it would take;
    with ``record``, every price measured is written there (:func:`mannlib.engine.sweep.save_prices`)."""
    from .engine.sweep import plan, save_prices
    p = plan(configs, evaluation=True)
    if record:
        print(f"prices written to {save_prices(record)}")
    if force:
        p["cached"] = False
    todo = p[~p["cached"]]
    for row in p.itertuples():
        cost = "cached" if row.cached else f"{row.cpu_h * 60:6.1f} CPU-min ({row.s_per_update:.3f} s/update x {row.steps:,})"
        print(f"{row.run:<40} seed {row.seed}  {cost}")
    total = todo["cpu_h"].sum()
    evaluation = total - (todo["s_per_update"] * todo["steps"]).sum() / 3600
    print(f"{chapter}: {len(p)} runs, {len(todo)} to train: {total:.1f} CPU-hours ({evaluation:.1f} of "
          f"them evaluation), about {total / min(jobs, max(len(todo), 1)):.1f} h on {jobs} core(s) (one thread per run)")
    return 0


def _summary_line(summary: dict) -> str:
    return "  ".join(f"{k} {_fmt(summary.get(k))}" for k in ("train_acc", "test_acc", "final_loss", "wall_s")
                     if k in summary)


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    return f"{v:.4g}" if isinstance(v, float) else str(v)

