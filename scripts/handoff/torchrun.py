#!/usr/bin/python3
"""`torchrun` for Debian's python3-torch 1.13 on Python 3.11: the same launcher
(torch.distributed.run), with one fix. Its Std.from_str looks values up by iterating the
IntFlag enum, which on Python 3.11 no longer yields NONE (0) or ALL (3), so the default
`--redirects 0` becomes None and the launcher crashes before starting any worker. Where
torchrun works (newer torch), call it directly with the same arguments.

    /usr/bin/python3 scripts/handoff/torchrun.py --nproc_per_node 2 scripts/handoff/ddp_continue.py ...
"""
import re
import sys

from torch.distributed.elastic.multiprocessing import api
from torch.distributed import run

_original = api.Std.from_str.__func__


def _from_str(cls, vm):
    if re.fullmatch(r'\d', vm):
        return cls(int(vm))
    if re.fullmatch(r'(\d:\d,)*\d:\d', vm):
        return {int(i): cls(int(v)) for i, v in (m.split(':') for m in vm.split(','))}
    return _original(cls, vm)


api.Std.from_str = classmethod(_from_str)

if __name__ == '__main__':
    sys.exit(run.main())
