"""Per-service crash-loop backoff for ``orchestra watch``.

A *crash* is a container that ended on its own with a non-zero exit code (or turned unhealthy,
for a service that asked to be healed). A crash after a short run (under ``stable`` seconds)
continues a crash loop: the service is held for a delay that doubles with every such crash
(``first``, twice that, four times, … capped at ``cap``). A crash after a long run starts
over: the service is restarted at once. Other services are never affected.

Pure: the clock is passed in (seconds on any monotonic scale). Imports only the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Backoff", "BackoffPolicy", "Crash"]


@dataclass(frozen=True)
class BackoffPolicy:
    """How fast the delays grow: ``first`` seconds, doubled per crash, capped at ``cap``."""

    first: float = 1.0
    cap: float = 60.0
    stable: float = 10.0  # a run at least this long ends a crash loop

    def __post_init__(self) -> None:
        if self.first <= 0 or self.cap < self.first or self.stable <= 0:
            raise ValueError("backoff needs 0 < first <= cap and stable > 0")

    def delay(self, crashes: int) -> float:
        """The hold after ``crashes`` consecutive quick crashes (0 for none)."""
        if crashes <= 0:
            return 0.0
        # min() before the power keeps huge crash counts from overflowing the float.
        return min(self.cap, self.first * 2.0 ** min(crashes - 1, 62))


@dataclass(frozen=True)
class Crash:
    """What ``Backoff.crashed`` decided: the loop count and how long the service is held."""

    service: str
    crashes: int  # consecutive quick crashes, 0 when this one came after a long run
    delay: float  # seconds from now until orchestra starts the service again

    def message(self, reason: str) -> str:
        """A line for the user, e.g. ``web is crash-looping (exit 1): next start in 8 s``."""
        if self.delay <= 0:
            return f"{self.service} stopped ({reason}): starting it again"
        return (
            f"{self.service} is crash-looping ({reason}, {self.crashes} quick crash"
            f"{'es' if self.crashes > 1 else ''} in a row): next start in {self.delay:g} s"
        )


@dataclass
class _State:
    crashes: int = 0
    not_before: float = 0.0


class Backoff:
    """The backoff state of every service of one watch."""

    def __init__(self, policy: BackoffPolicy | None = None) -> None:
        self.policy = policy or BackoffPolicy()
        self._states: dict[str, _State] = {}

    def crashed(self, service: str, ran_for: float | None, now: float) -> Crash:
        """Record a crash of ``service`` after a run of ``ran_for`` seconds (None: unknown).

        An unknown run length (the watch did not see the start) counts as a long run.
        """
        state = self._states.setdefault(service, _State())
        quick = ran_for is not None and ran_for < self.policy.stable
        state.crashes = state.crashes + 1 if quick else 0
        delay = self.policy.delay(state.crashes)
        state.not_before = now + delay
        return Crash(service, state.crashes, delay)

    def held(self, now: float) -> frozenset[str]:
        """The services that must not be started at ``now``."""
        return frozenset(name for name, s in self._states.items() if s.not_before > now)

    def next_release(self, now: float) -> float | None:
        """The earliest time after ``now`` at which a held service may start again."""
        pending = [s.not_before for s in self._states.values() if s.not_before > now]
        return min(pending, default=None)

    def crashes(self, service: str) -> int:
        """The current count of consecutive quick crashes of ``service``."""
        state = self._states.get(service)
        return 0 if state is None else state.crashes

    def forget(self, services: set[str]) -> None:
        """Drop the state of services that are no longer in the project."""
        for name in [n for n in self._states if n not in services]:
            del self._states[name]
