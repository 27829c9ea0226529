#!/usr/bin/env python3
"""Check that PyTorch 2.15 accepts lowered schedule CSVs (ppsim's `gen --lower --format csv`).

Expects torch 2.15.0 exactly and refuses any other version. Install it as
tools/pytorch/dump_schedules.py's docstring says (`bash tools/pytorch/install_torch.sh`), then:

    /work/venv-torch/bin/python tools/pytorch/check_load.py FILE.csv [FILE.csv ...]

Each file is loaded the way a user hands a lowered CSV to PyTorch: a `_PipelineScheduleRuntime`
is built on mock stages (as `_schedule_visualizer.get_schedule_ops` builds them) and its
`_load_csv(FILE, format="compute_comms")` is called. That parses every cell with
`_Action.from_str`, refuses empty cells, validates the per-stage F/B/I/W counts and order and the
stage-to-rank map (`_validate_schedule`), checks that each REDUCE_GRAD has its WAIT_REDUCE_GRAD
and that every SEND_F/SEND_B has one later WAIT_SEND_F/WAIT_SEND_B (`_validate_send_waits`).
The sizes the runtime needs come from the file: P = number of rows, S = largest stage + 1,
M = largest micro-batch + 1 (from PyTorch's own parse of the cells).

Prints one line per file, `FILE: OK` or `FILE: FAILED: <ExceptionType>: <PyTorch's message>`
(a multi-line message follows, indented), and exits 1 if any file failed, 2 on a usage error.
"""

import csv
import sys
import warnings

EXPECTED_TORCH = "2.15.0"


def die(msg):
    print(f"check_load.py: {msg}", file=sys.stderr)
    sys.exit(2)


def import_torch():
    try:
        import torch
    except ImportError as e:
        die(f"cannot import torch ({e}); install torch {EXPECTED_TORCH} as "
            f"tools/pytorch/dump_schedules.py says")
    if torch.__version__.split("+")[0] != EXPECTED_TORCH:
        die(f"this script expects torch {EXPECTED_TORCH}, found {torch.__version__}")
    return torch


def sizes(S, path):
    """(P, S, M) from PyTorch's own parse of the file's cells."""
    ranks = 0
    stages = 0
    mbs = 0
    with open(path, newline="") as f:
        for row in csv.reader(f):
            ranks += 1
            for cell in row:
                a = S._Action.from_str(cell)
                if a is None:
                    continue
                for part in a.sub_actions or (a,):
                    stages = max(stages, part.stage_index + 1)
                    if part.microbatch_index is not None:
                        mbs = max(mbs, part.microbatch_index + 1)
    return ranks, stages, max(mbs, 1)


def load(S, path):
    from unittest import mock
    from torch.distributed.pipelining.stage import PipelineStage

    P, n_stages, M = sizes(S, path)
    if P == 0:
        raise ValueError("no rows")
    stage = mock.create_autospec(PipelineStage, instance=True)
    stage.group_rank = 0
    stage.group_size = P
    stage.submod = None
    stage.num_stages = n_stages
    per_rank = max(1, n_stages // P)
    runtime = S._PipelineScheduleRuntime([stage for _ in range(per_rank)], M)
    runtime._load_csv(path, format="compute_comms")


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    warnings.filterwarnings("ignore")  # NumPy is not installed; torch warns about it on import
    import_torch()
    import torch.distributed.pipelining.schedules as S

    failed = 0
    for path in argv:
        try:
            load(S, path)
        except Exception as e:  # noqa: BLE001 - PyTorch's message is the result
            failed += 1
            lines = str(e).split("\n")
            print(f"{path}: FAILED: {type(e).__name__}: {lines[0]}")
            for line in lines[1:]:
                print(f"    {line}" if line else "")
        else:
            print(f"{path}: OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
