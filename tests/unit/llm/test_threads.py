"""Thread count follows what other processes use of the CPUs."""

from __future__ import annotations

from openagent_lsp.llm.threads import Sample, ThreadPolicy, others_busy_cores, threads_for


def test_threads_for_leaves_cores_to_busy_processes() -> None:
    assert threads_for(2, 0.0) == 2
    assert threads_for(2, 0.4) == 2
    assert threads_for(2, 0.6) == 1
    assert threads_for(2, 5.0) == 1
    assert threads_for(8, 2.2) == 6


def test_others_busy_cores_excludes_our_own_time() -> None:
    before: Sample = (0.0, 0.0, 0.0, 0.0)
    # 2 CPUs over 100 ticks each = 200 total ticks; 150 busy, 100 of them ours -> others used 0.5 core.
    after: Sample = (150.0, 200.0, 100.0, 1.0)
    assert others_busy_cores(before, after, 2) == 0.5


class FakeProc:
    """Ticks of a 2-CPU machine; each tick() advances one second with the given usage."""

    def __init__(self) -> None:
        self.busy = self.total = self.mine = self.now = 0.0

    def tick(self, others: float, ours: float) -> None:
        self.total += 200
        self.busy += 100 * (others + ours)
        self.mine += 100 * ours
        self.now += 1.0

    def read(self) -> Sample:
        return self.busy, self.total, self.mine, self.now


def test_policy_uses_all_cores_when_idle_and_backs_off_when_busy() -> None:
    proc = FakeProc()
    policy = ThreadPolicy(cores=2, reader=proc.read)
    policy.sample()
    proc.tick(others=0.1, ours=1.8)  # we were decoding on both cores, nobody else busy
    policy.sample()
    assert policy.decide().threads == 2
    proc.tick(others=1.0, ours=0.9)  # a compiler took a core
    proc.tick(others=1.0, ours=0.9)
    policy.sample()
    decision = policy.decide()
    assert decision.threads == 1 and decision.others_busy >= 0.9
    proc.tick(others=0.0, ours=1.0)
    proc.tick(others=0.0, ours=1.0)
    policy.sample()
    proc.tick(others=0.0, ours=1.0)
    policy.sample()
    assert policy.decide().threads == 2  # back to all cores once the machine is idle again


def test_fixed_thread_count_is_kept() -> None:
    policy = ThreadPolicy(fixed=3, cores=8, reader=lambda: None)
    assert not policy.adaptive
    assert policy.decide().threads == 3
