#!/usr/bin/env python3
"""Dump every PyTorch 2.15 pipeline schedule as PyTorch's own CSV files (reference data for ppsim).

Expects torch 2.15.0 exactly and refuses any other version: the orders, the lowering and the CSV
layout are internals of torch.distributed.pipelining that change between releases.

Install (CPU only, into a virtual environment outside the repository):

    bash tools/pytorch/install_torch.sh /work/venv-torch

which amounts to `python3 -m venv /work/venv-torch`, `pip install --no-deps torch==2.15.0`, then
`pip install --no-deps` of the pure-Python packages `import torch.distributed.pipelining` needs
(typing_extensions, sympy, mpmath, networkx, jinja2, MarkupSafe, filelock, fsspec), and no-op
shim libraries for the few CUDA libraries the PyPI wheel links but a CPU run never calls (see
that script: it takes the others from the system CUDA 13 toolkit). No GPU is needed.

Run (from the repository root):

    /work/venv-torch/bin/python tools/pytorch/dump_schedules.py [--out traces/pytorch/2.15]

For every schedule class of torch.distributed.pipelining.schedules and every (P, M) in
{(2,4), (4,8), (4,16), (8,32)} (P pipeline ranks, M micro-batches; the multi-stage classes with 2
stages per rank, the V-shaped ones in PyTorch's V placement), it builds the schedule on mock
stages the way PyTorch's `_schedule_visualizer.get_schedule_ops` does and writes, with PyTorch's
own `_PipelineScheduleRuntime._dump_csv`:

    <ClassName>_p<P>_m<M>_compute_only.csv    the class's pipeline_order
    <ClassName>_p<P>_m<M>_compute_comms.csv   its lowered order (pipeline_order_with_comms)

Where PyTorch raises instead, the exception type and PyTorch's exact message go to SKIPPED.txt.
README.md in the output folder says how the files were made. The script checks that every file
it wrote equals what `get_schedule_ops` returns for the same class and sizes.
"""

import argparse
import csv
import os
import sys
import warnings

EXPECTED_TORCH = "2.15.0"
SIZES = [(2, 4), (4, 8), (4, 16), (8, 32)]
STAGES_PER_RANK_MULTI = 2


def die(msg):
    print(f"dump_schedules.py: {msg}", file=sys.stderr)
    sys.exit(2)


def import_torch():
    try:
        import torch
    except ImportError as e:
        die(f"cannot import torch ({e}); install torch {EXPECTED_TORCH} as this file's docstring says")
    version = torch.__version__.split("+")[0]
    if version != EXPECTED_TORCH:
        die(f"this script expects torch {EXPECTED_TORCH}, found {torch.__version__}; "
            f"the schedules it dumps are internals of that release")
    return torch


def schedule_classes(S):
    """Every schedule class in torch.distributed.pipelining.schedules, public ones first.

    The abstract bases (PipelineScheduleSingle, PipelineScheduleMulti) and the CSV-driven
    _PipelineScheduleRuntime define no order of their own and are not dumped."""
    bases = {S._PipelineSchedule, S.PipelineScheduleSingle, S.PipelineScheduleMulti,
             S._PipelineScheduleRuntime}
    found = []
    for name in dir(S):
        obj = getattr(S, name)
        if isinstance(obj, type) and issubclass(obj, S._PipelineSchedule) and obj not in bases \
                and obj.__module__ == S.__name__:
            found.append(obj)
    public = [c for c in found if c.__name__ in S.__all__]
    order = ["ScheduleGPipe", "Schedule1F1B", "ScheduleInterleaved1F1B", "ScheduleLoopedBFS",
             "ScheduleInterleavedZeroBubble", "ScheduleZBVZeroBubble", "ScheduleDualPipeV"]
    public.sort(key=lambda c: (order.index(c.__name__) if c.__name__ in order else len(order),
                               c.__name__))
    private = sorted((c for c in found if c not in public), key=lambda c: c.__name__)
    return public + private


def mock_stages(S, cls, P):
    """Mock stages as _schedule_visualizer.get_schedule_ops builds them.

    Returns (argument for the class, list of stages for a _PipelineScheduleRuntime)."""
    from unittest import mock
    from torch.distributed.pipelining.stage import PipelineStage

    stage = mock.create_autospec(PipelineStage, instance=True)
    stage.group_rank = 0
    stage.group_size = P
    stage.submod = None
    if issubclass(cls, S.PipelineScheduleSingle):
        stage.num_stages = P
        return stage, [stage]
    stages = [stage for _ in range(STAGES_PER_RANK_MULTI)]
    stage.num_stages = STAGES_PER_RANK_MULTI * P
    return stages, stages


def rows_as_text(order, P):
    return [["" if a is None else str(a) for a in order[r]] for r in range(P)]


def read_rows(path):
    with open(path, newline="") as f:
        return [row for row in csv.reader(f)]


class Skips:
    def __init__(self):
        self.entries = []

    def add(self, cls, P, M, fmt, how, exc, note=None):
        self.entries.append((cls.__name__, P, M, fmt, how, type(exc).__name__, str(exc), note))

    def write(self, path, torch_version):
        with open(path, "w") as f:
            f.write(f"# Schedules PyTorch {torch_version} refused to build or to lower, written by\n"
                    "# tools/pytorch/dump_schedules.py. One block per refusal: class, sizes and\n"
                    "# format; the call that raised; the exception type; PyTorch's exact message,\n"
                    "# each non-empty line indented by four spaces (trailing blanks kept).\n")
            for name, P, M, fmt, how, etype, msg, note in self.entries:
                f.write(f"\n{name} p{P} m{M} {fmt}\n")
                f.write(f"  call: {how}\n")
                if note:
                    f.write(f"  note: {note}\n")
                f.write(f"  raised: {etype}\n")
                for line in msg.split("\n"):
                    f.write(("    " + line if line else "") + "\n")


def dump_one(S, get_schedule_ops, cls, P, M, out, skips, written):
    base = os.path.join(out, f"{cls.__name__}_p{P}_m{M}")
    single = issubclass(cls, S.PipelineScheduleSingle)

    # PyTorch's own entry point first: it raises for classes without an order.
    try:
        ops = get_schedule_ops(cls, P, M)
    except Exception as e:  # noqa: BLE001 - the message is the data
        for fmt in ("compute_only", "compute_comms"):
            skips.add(cls, P, M, fmt, f"get_schedule_ops({cls.__name__}, {P}, {M})", e)
        return

    arg, stages = mock_stages(S, cls, P)
    inst = cls(arg, M)
    if single:
        # Single-stage classes have no _dump_csv: PyTorch's runtime writes their order.
        runtime = S._PipelineScheduleRuntime(stages, M)
        runtime.pipeline_order = inst.pipeline_order
    else:
        runtime = inst

    path = base + "_compute_only.csv"
    runtime._dump_csv(path, format="compute_only")
    if read_rows(path) != rows_as_text({r: ops[r] for r in range(P)}, P):
        die(f"{path}: differs from get_schedule_ops({cls.__name__}, {P}, {M})")
    written.append(path)

    if single:
        # get_schedule_ops(..., with_comms=True) cannot lower a single-stage class (it passes the
        # lone mock stage where the runtime wants a list); this is the lowering it attempts.
        how = (f"_PipelineScheduleRuntime([stage], {M})._prepare_schedule_with_comms("
               f"{cls.__name__}(stage, {M}).pipeline_order)")
        try:
            get_schedule_ops(cls, P, M, with_comms=True)
            note = None
        except Exception as e:  # noqa: BLE001
            note = (f"get_schedule_ops({cls.__name__}, {P}, {M}, with_comms=True) raises "
                    f"{type(e).__name__}: {e} (it hands the runtime the lone mock stage, "
                    f"not a list), so the lowering it means to run is called directly")
        try:
            runtime._prepare_schedule_with_comms(inst.pipeline_order)
        except Exception as e:  # noqa: BLE001
            skips.add(cls, P, M, "compute_comms", how, e, note)
            return
    path = base + "_compute_comms.csv"
    runtime._dump_csv(path, format="compute_comms")
    if not single:
        comms = get_schedule_ops(cls, P, M, with_comms=True)
        if read_rows(path) != rows_as_text({r: comms[r] for r in range(P)}, P):
            die(f"{path}: differs from get_schedule_ops({cls.__name__}, {P}, {M}, with_comms=True)")
    written.append(path)


README = """\
# PyTorch {version} schedules (reference data)

Every schedule class of `torch.distributed.pipelining` in PyTorch {version}, dumped with PyTorch's
own code, for ppsim's generators and CSV reader to be checked against cell for cell.

## How they were made

    bash tools/pytorch/install_torch.sh /work/venv-torch      # torch {version}, CPU only, --no-deps
    /work/venv-torch/bin/python tools/pytorch/dump_schedules.py

torch version: `{full_version}`. `tools/pytorch/dump_schedules.py` builds each class on mock stages
exactly as PyTorch's `_schedule_visualizer.get_schedule_ops` does (one `PipelineStage` autospec
mock with `group_size = P`; single-stage classes get one stage per rank, multi-stage classes a
list of {spr} stages per rank; ScheduleZBVZeroBubble and ScheduleDualPipeV place them in PyTorch's V
shape, rank r holding stages r and 2P-1-r; the other multi-stage classes loop, rank r holding
r, r+P). It writes them with PyTorch's `_PipelineScheduleRuntime._dump_csv(path, format)`, which
is `csv.writer` over `str(action)` with `None` (an idle slot) as an empty cell and CRLF line
endings (the csv module's default: the files keep them), and checks that each
file equals `get_schedule_ops(...)` (and `get_schedule_ops(..., with_comms=True)` for the lowered
ones).

Sizes (P ranks, M micro-batches): {sizes}.

## File names

- `<ClassName>_p<P>_m<M>_compute_only.csv`: the class's `pipeline_order`, one row per rank.
  Multi-stage classes keep their idle slots as empty cells (rows may differ in length and end in
  commas). Single-stage classes (ScheduleGPipe, Schedule1F1B) drop idle slots and end each row with
  `REDUCE_GRAD`, `WAIT_REDUCE_GRAD`: PyTorch adds them to their `pipeline_order` itself.
- `<ClassName>_p<P>_m<M>_compute_comms.csv`: the lowered order the runtime executes
  (`pipeline_order_with_comms`, default options): the compute actions with UNSHARD/RESHARD,
  SEND_F/RECV_F/SEND_B/RECV_B, WAIT_SEND_F/WAIT_SEND_B and REDUCE_GRAD/WAIT_REDUCE_GRAD added, and
  no empty cells. These load back with `_PipelineScheduleRuntime._load_csv(path,
  "compute_comms")` (`tools/pytorch/check_load.py`).
- `SKIPPED.txt`: each (class, sizes, format) PyTorch refused, with its exact message. ScheduleGPipe
  and Schedule1F1B have no compute_comms file: the runtime refuses to lower their
  `pipeline_order` (it already holds REDUCE_GRAD; Schedule1F1B's also fails validation, its last
  rank running micro-batches 1..M). The private `_ScheduleForwardOnly` has no order at all.

Files ({count}):

{files}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "traces", "pytorch", "2.15"),
                    help="output folder (default: traces/pytorch/2.15 of this repository)")
    args = ap.parse_args()

    warnings.filterwarnings("ignore")  # NumPy is not installed; torch warns about it on import
    torch = import_torch()
    import torch.distributed.pipelining.schedules as S
    from torch.distributed.pipelining._schedule_visualizer import get_schedule_ops

    out = os.path.normpath(args.out)
    os.makedirs(out, exist_ok=True)
    skips = Skips()
    written = []
    classes = schedule_classes(S)
    for cls in classes:
        for P, M in SIZES:
            dump_one(S, get_schedule_ops, cls, P, M, out, skips, written)
    skips.write(os.path.join(out, "SKIPPED.txt"), EXPECTED_TORCH)

    files = "\n".join(f"- `{os.path.basename(p)}`" for p in written)
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(README.format(version=EXPECTED_TORCH, full_version=torch.__version__,
                              spr=STAGES_PER_RANK_MULTI,
                              sizes=", ".join(f"({P}, {M})" for P, M in SIZES),
                              count=len(written), files=files))
    print(f"{len(written)} files written to {out}; {len(skips.entries)} refusals in SKIPPED.txt "
          f"({len(classes)} classes: {', '.join(c.__name__ for c in classes)})")


if __name__ == "__main__":
    main()
