"""``python -m mannlib bench [--quick] [--json] [--threads N] [--reps N] [--only MODEL ...]``.

Times one training step (forward, loss, backward, gradient clipping, optimiser update) of every
model on its paper task at its paper sizes (``mannlib.engine.config`` paper profile), next to a
straightforward eager PyTorch loop of the same model with the same weights. The rows of one
task and batch size are measured in the same run, interleaved step by step (so a busy machine
slows them alike), and with the library LSTM of that task and batch among them:

- srnn, lstm, sann, tann on mirror at Wang's training maximum (length 5, T = 11), batch 32;
- lstm, sann, tann on M10AE at Wang's training maximum (#LPO 14, T ~ 75), batch 32 and 128;
- lantm-invnorm, lantm-softmax and Yang's 4 x 256 LSTM on copy at length 64 (T = 130), batch 32.

The straightforward loops (``naive_forward``) are what one writes first: a torch cell called
once per step with Python lists of states, the x-side projection recomputed every step and,
for the LANTM, its growing memory re-stacked from lists at every step; for the stack and the
tape they are the memories' own reference ``step``. They compute the same function as the
library models (tests/test_lantm_bench.py, tests/test_lantm_fast.py, tests/test_stack_tape_fast.py).
Reported: the best of ``--reps`` interleaved steps (wall clock), the speed-up over the plain
loop and ``vs_lstm``, the step time over that of the library LSTM on the same task and batch
(Yang's 4 x 256 LSTM on copy); --json adds medians, CPU times (robust on a shared machine) and
which implementations ran (``lantm_kernel`` and ``stack_tape_kernel``: C, with torch's BLAS for
the products where found, or the torch loops / reference loop where no C compiler is available).
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

# (model, task, difficulty, batch): the paper task of every model, at its training maximum
BENCHES = (("srnn", "mirror", 5, 32), ("lstm", "mirror", 5, 32), ("sann", "mirror", 5, 32),
           ("tann", "mirror", 5, 32),
           ("lstm", "m10ae", 14, 32), ("sann", "m10ae", 14, 32), ("tann", "m10ae", 14, 32),
           ("lstm", "m10ae", 14, 128), ("sann", "m10ae", 14, 128), ("tann", "m10ae", 14, 128),
           ("lantm-invnorm", "copy", 64, 32), ("lantm-softmax", "copy", 64, 32), ("lstm", "copy", 64, 32))
QUICK = {"mirror": 2, "m10ae": 2, "copy": 3}   # difficulties for --quick (a smoke test, not a measurement)
QUICK_BATCH = 8                              # --quick divides batch sizes by this


class BenchError(ValueError):
    """Bad bench arguments; the message names what is allowed."""


# --- the straightforward loops ------------------------------------------------------------------

def naive_forward(model, x: torch.Tensor) -> torch.Tensor:
    """Logits (B, T, out) of ``model`` computed by a plain per-step loop with its own weights."""
    from ..models.lantm import LANTM
    if isinstance(model, LANTM):
        return naive_lantm(model, x)
    return naive_mann(model, x) if model.memory is not None else naive_rnn(model, x)


def naive_rnn(model, x):
    """Stacked LSTM / Elman layers, one ``torch.lstm_cell`` (nn.LSTMCell's op) call per step."""
    inp = model.embedding(x) if model.embedding is not None else x
    B, T, _ = inp.shape
    for layer in range(model.layers):
        w = [getattr(model.rnn, f"{n}_l{layer}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        h = c = inp.new_zeros(B, model.hidden)
        hs = []
        for t in range(T):
            if model.cell_kind == "lstm":
                h, c = torch.lstm_cell(inp[:, t], (h, c), *w)
            else:
                h = torch.rnn_tanh_cell(inp[:, t], h, *w)
            hs.append(h)
        inp = torch.stack(hs, 1)
    return model.out(inp)


def naive_mann(model, x):
    """Wang's framework step by step: nn.LSTMCell on [x_t; r_{t-1}], the memory's own step."""
    x = model.embedding(x) if model.embedding is not None else x
    B, T, _ = x.shape
    h = c = x.new_zeros(B, model.hidden)
    r, state = model.memory.initial_state(B, x.device)
    outs = []
    for t in range(T):
        h, c = model.cell(torch.cat([x[:, t], r], -1), (h, c))
        r, state, _ = model.memory.step(h, x[:, t], state)
        outs.append(model.out(torch.cat([h, r], -1)))
    return torch.stack(outs, 1)


def naive_lantm(model, x):
    """Yang §3 written out plainly (translation group): per head a gated key and a gated,
    normalised step; the memory kept as Python lists and re-stacked at every step."""
    cfg, mem = model.cfg, model.memory
    if cfg.group != "translation":
        raise BenchError(f"the plain LANTM loop covers the translation group only, not {cfg.group!r}")
    m = cfg.width
    x = model.embedding(x) if model.embedding is not None else x
    B, T, _ = x.shape
    h = c = x.new_zeros(B, model.hidden)
    r = mem.r0.expand(B, m)
    keys = [mem.k0[0].expand(B, 2), mem.k0[1].expand(B, 2)]    # read head, write head
    steps = [mem.v0[0].expand(B, 2), mem.v0[1].expand(B, 2)]
    addresses, vectors, strengths, outs = [], [], [], []
    for t in range(T):
        h, c = model.cell(torch.cat([x[:, t], r], -1), (h, c))
        e = mem.instructions(h)
        for head in (0, 1):
            cand_key, cand_step = e[:, 2 * head:2 * head + 2], e[:, 4 + 2 * head:6 + 2 * head]
            key_gate = torch.sigmoid(e[:, 8 + head:9 + head])
            step_gate = torch.sigmoid(e[:, 10 + head:11 + head])
            if cfg.step_norm:
                cand_step = cand_step / torch.sqrt((cand_step ** 2).sum(-1, keepdim=True) + cfg.step_delta)
            steps[head] = step_gate * cand_step + (1 - step_gate) * steps[head]
            keys[head] = key_gate * cand_key + (1 - key_gate) * keys[head] + steps[head]
        addresses.append(keys[1])
        vectors.append(torch.tanh(e[:, 13:13 + m]))
        strengths.append(torch.sigmoid(e[:, 12]))
        A, M, S = torch.stack(addresses, 1), torch.stack(vectors, 1), torch.stack(strengths, 1)
        d2 = ((A - keys[0].unsqueeze(1)) ** 2).sum(-1)
        if cfg.weighting == "softmax":
            temperature = F.softplus(e[:, 13 + m:14 + m]) + cfg.t_min
            w = torch.softmax(torch.log(S) - d2 / temperature, -1)
        else:
            u = S * (d2 + cfg.eps) ** (-cfg.alpha / 2)
            w = u / u.sum(-1, keepdim=True)
        r = (w.unsqueeze(-1) * M).sum(1)
        features = {"hx": [h, x[:, t]], "hr": [h, r], "h": [h]}[cfg.output]
        outs.append(model.out(torch.cat(features, -1)))
    return torch.stack(outs, 1)


# --- timing -------------------------------------------------------------------------------------

def _step_timer(model, forward, task, batch, config):
    """A function that runs one training step and returns its wall and CPU times in seconds."""
    from .train import make_optimizer
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(config, params)

    def step() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        loss = task.loss(forward(batch.x), batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, config.clip or float("inf"))
        opt.step()
        return time.perf_counter() - wall, time.process_time() - cpu
    return step


def bench_group(rows: list, task_name: str, difficulty: int, batch_size: int, reps: int) -> list[dict]:
    """The rows ``rows`` (model names) of one task and batch: the library model and its
    straightforward loop each, and the library LSTM of the task (timed as the reference of
    ``vs_lstm`` even when not a row), ``reps`` steps each, interleaved."""
    from .config import profile_config
    from .train import build
    timers, info = {}, {}
    for model_name in dict.fromkeys([*rows, "lstm"]):
        config = profile_config(task_name, model_name, "paper", seed=0)
        task, model = build(config)
        batch = task.batch(np.random.default_rng(0), batch_size, difficulty)
        info[model_name] = (config, model, batch)
        timers[model_name, "library"] = _step_timer(model, model, task, batch, config)
        if model_name in rows:
            timers[model_name, "naive"] = _step_timer(
                model, lambda x, model=model: naive_forward(model, x), task, batch, config)
    times = {k: [] for k in timers}
    for step in timers.values():   # warm-up (allocator, first-call dispatch)
        step()
    for _ in range(reps):
        for key, step in timers.items():
            times[key].append(step())
    best = {k: 1000 * min(w for w, _ in v) for k, v in times.items()}
    median = {k: 1000 * statistics.median(w for w, _ in v) for k, v in times.items()}
    cpu = {k: 1000 * min(c for _, c in v) for k, v in times.items()}
    out = []
    for name in rows:
        config, model, batch = info[name]
        lib, naive, lstm = (name, "library"), (name, "naive"), ("lstm", "library")
        out.append({
            "model": label(name, task_name), "task": task_name, "difficulty": difficulty, "batch": batch_size,
            "steps": int(batch.x.shape[1]), "params": sum(p.numel() for p in model.parameters()),
            "sizes": config.sizes, "library_ms": round(best[lib], 2), "naive_ms": round(best[naive], 2),
            "library_median_ms": round(median[lib], 2), "naive_median_ms": round(median[naive], 2),
            "library_cpu_ms": round(cpu[lib], 2), "naive_cpu_ms": round(cpu[naive], 2),
            "speedup": round(best[naive] / best[lib], 2), "speedup_cpu": round(cpu[naive] / cpu[lib], 2),
            "vs_lstm": round(best[lib] / best[lstm], 2), "vs_lstm_cpu": round(cpu[lib] / cpu[lstm], 2),
            "library_steps_per_s": round(1000 / best[lib], 2)})
    return out


def bench_one(model_name: str, task_name: str, difficulty: int, batch_size: int, reps: int) -> dict:
    """One row, timed with the library LSTM of its task and batch (see :func:`bench_group`)."""
    return bench_group([model_name], task_name, difficulty, batch_size, reps)[0]


def machine() -> dict:
    """Date, versions, threads and CPU of this measurement."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    from ..models import lantm_native, native, stack_tape_fast
    kernel = "C" if lantm_native.kernel(torch.float32) else "torch loops"
    stack_tape = ("reference loop" if stack_tape_fast.kernel(torch.zeros(0)) is None
                  else "C, BLAS products" if native.blas_gemm(torch.float32) else "C")
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"), "torch": torch.__version__,
            "python": platform.python_version(), "threads": torch.get_num_threads(), "cpu": cpu,
            "cores": os.cpu_count(), "load_average": [round(v, 2) for v in os.getloadavg()],
            "lantm_kernel": kernel, "stack_tape_kernel": stack_tape}


def label(model: str, task: str) -> str:
    """The name a bench row goes by: Yang's 4 x 256 LSTM baseline is ``lstm-4x256``."""
    return "lstm-4x256" if (model, task) == ("lstm", "copy") else model


def run(quick: bool = False, threads: int = 1, reps: int | None = None, only=None) -> dict:
    """Bench every row of BENCHES (or the models named in ``only``) with ``threads`` torch threads."""
    names = list(dict.fromkeys(label(m, t) for m, t, _, _ in BENCHES))
    if only and (unknown := set(only) - set(names)):
        raise BenchError(f"unknown bench model {sorted(unknown)[0]!r}; choose from {', '.join(names)}")
    reps = reps if reps is not None else (1 if quick else 5)
    if reps < 1 or threads < 1:
        raise BenchError(f"--reps and --threads must be >= 1, got {reps} and {threads}")
    groups: dict = {}   # (task, difficulty, batch) -> model names, in the order of BENCHES
    for m, t, d, b in BENCHES:
        if not only or label(m, t) in only:
            groups.setdefault((t, QUICK[t] if quick else d, b // QUICK_BATCH if quick else b), []).append(m)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        rows = [row for (t, d, b), models in groups.items() for row in bench_group(models, t, d, b, reps)]
        return {"machine": machine(), "quick": quick, "reps": reps, "rows": rows}
    finally:
        torch.set_num_threads(previous)


def format_table(result: dict) -> str:
    m = result["machine"]
    lines = [f"# {m['date']}  torch {m['torch']}  threads {m['threads']}  {m['cpu']} ({m['cores']} cores, "
             f"load {m['load_average'][0]})  LANTM loops: {m['lantm_kernel']}  stack/tape: "
             f"{m.get('stack_tape_kernel', 'n/a')}  best of {result['reps']}" + ("  [quick]" if result["quick"] else ""),
             f"{'model':<14} {'task':<7} {'B':>3} {'T':>4} {'params':>8} {'library ms':>11} {'steps/s':>8} "
             f"{'naive ms':>9} {'speedup':>8} {'vs lstm':>8}"]
    for r in result["rows"]:
        lines.append(f"{r['model']:<14} {r['task']:<7} {r['batch']:>3} {r['steps']:>4} {r['params']:>8} "
                     f"{r['library_ms']:>11.1f} {r['library_steps_per_s']:>8.1f} {r['naive_ms']:>9.1f} "
                     f"{r['speedup']:>7.1f}x {r['vs_lstm']:>7.2f}x")
    return "\n".join(lines)


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("bench", help="time a training step of every model against a plain loop")
    p.add_argument("--quick", action="store_true", help="tiny batches and lengths: a smoke test")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: one per run)")
    p.add_argument("--reps", type=int, default=None, help="timed steps per model (default 5, quick 1)")
    p.add_argument("--only", nargs="+", default=None, metavar="MODEL", help="bench only these models")
    p.set_defaults(func=bench_command)


def bench_command(args) -> int:
    result = run(args.quick, args.threads, args.reps, args.only)
    print(json.dumps(result, indent=1) if args.json else format_table(result))
    return 0
