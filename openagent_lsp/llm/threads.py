"""How many CPU threads the model may use right now.

All cores while the machine is otherwise idle; fewer when other processes are busy, because OpenMP
threads that share a core with someone else wait on each other and throughput collapses (measured on
2 cores while other processes were busy, Gemma 3 270M fp32: a decode step took 516 ms with 2 threads and
81 ms with 1; ``make bench``, section ``threads``, measures both sides).

"Busy" is what *other* processes used of the CPUs over the last second: the whole machine's busy time
from /proc/stat minus this process's own, sampled by a small daemon thread. Where /proc is missing,
the policy falls back to the 1-minute load average minus this process's threads.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# A sample is (machine busy ticks, machine total ticks, this process's ticks, monotonic time).
Sample = tuple[float, float, float, float]


def usable_cpus() -> int:
    """CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def read_proc_sample() -> Sample | None:
    try:
        with open("/proc/stat") as f:
            fields = [float(x) for x in f.readline().split()[1:]]
        with open("/proc/self/stat") as f:
            own = f.read().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return None
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    busy = total - fields[3] - fields[4]
    mine = float(own[11]) + float(own[12])  # utime + stime of all our threads
    return busy, total, mine, time.monotonic()


def others_busy_cores(before: Sample, after: Sample, machine_cpus: int) -> float:
    """Cores' worth of CPU time other processes used between two samples."""
    d_busy, d_total, d_mine = after[0] - before[0], after[1] - before[1], after[2] - before[2]
    if d_total <= 0:
        return 0.0
    return max(0.0, (d_busy - d_mine) / d_total * machine_cpus)


def threads_for(cores: int, others: float) -> int:
    """All cores, minus one for each core's worth that others keep busy (rounded), at least one."""
    return max(1, min(cores, cores - int(others + 0.5)))


@dataclass
class ThreadDecision:
    threads: int
    others_busy: float  # cores used by other processes (-1 when unknown)


class ThreadPolicy:
    """Watches the machine and says how many threads a forward pass should use.

    ``fixed`` > 0 pins the count (the ``cpuThreads`` setting). ``reader`` is injectable for tests.
    """

    def __init__(self, fixed: int = 0, cores: int | None = None,
                 reader: Callable[[], Sample | None] = read_proc_sample, interval_s: float = 0.5) -> None:
        self.fixed = fixed
        self.cores = cores or usable_cpus()
        self._machine_cpus = os.cpu_count() or self.cores
        self._reader = reader
        self._interval = interval_s
        self._samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def adaptive(self) -> bool:
        return self.fixed <= 0 and self.cores > 1

    def describe(self) -> str:
        if not self.adaptive:
            return f"{self.fixed or self.cores} (fixed)"
        return f"adaptive: {self.cores} while the machine is idle, fewer while other processes are busy"

    def start(self) -> None:
        """Sample in the background (only useful with more than one core and no fixed count)."""
        if not self.adaptive or self._thread is not None:
            return
        self.sample()
        self._thread = threading.Thread(target=self._run, name="openagent-cpu-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def sample(self) -> None:
        sample = self._reader()
        if sample is None:
            return
        with self._lock:
            self._samples.append(sample)
            # Keep about a second of history: enough to smooth, short enough to react.
            horizon = sample[3] - max(1.0, 2 * self._interval)
            while len(self._samples) > 2 and self._samples[1][3] <= horizon:
                self._samples.pop(0)

    def decide(self) -> ThreadDecision:
        if not self.adaptive:
            return ThreadDecision(self.fixed or self.cores, -1.0)
        with self._lock:
            window = (self._samples[0], self._samples[-1]) if len(self._samples) >= 2 else None
        if window is not None:
            others = others_busy_cores(window[0], window[1], self._machine_cpus)
            # /proc/stat counts every CPU of the machine; only ours compete with us.
            others = min(others, float(self.cores))
        else:
            others = self._loadavg_others()
        if others < 0:
            return ThreadDecision(self.cores, -1.0)
        return ThreadDecision(threads_for(self.cores, others), round(others, 2))

    def _loadavg_others(self) -> float:
        with contextlib.suppress(OSError, AttributeError):
            import torch

            return max(0.0, os.getloadavg()[0] - torch.get_num_threads())
        return -1.0
