"""Fair shares of the training queue: sessions are served in turn, each with a cap on its queued runs.

One browser session's 60-run sweep must not push a classmate's single run to position 60. `FairQueue` keeps one
lane per owner (a browser session; the command line is one owner too) and serves the lanes round robin: the
next run comes from the lane served longest ago (a new lane first), so a newcomer's run waits for at most one
run of each other session. A lane holds at most `cap` runs (`RNNVIZ_SESSION_QUEUE`); an owner's further runs wait for
room, outside the queue, and move into their lane as its runs start. Nothing is refused.

Round robin alone does not keep a worker for a classmate: a sweep that arrives while the workers are idle takes
them all, and a run pressed a second later waits for one of the sweep's runs to end. `take(limit)` passes over
an owner that has `limit` runs training (the app's classroom mode: half the workers, rounded up, so with 4
workers a sweep trains 2 runs at once and a classmate's run starts at once); `finished` says a run ended.

The queue holds any objects with writable `held` and `lane` attributes (the Trainer's jobs): `held` is True
while the item waits for room, False once it is in its lane; `lane` names the owner it was taken for. It is
not thread-safe: the `rnnviz.training.jobs.Trainer` calls it with its lock held.
"""

from __future__ import annotations

from collections import deque
from typing import Any

CAP = 12
"""Runs one owner may have in the queue by default (`RNNVIZ_SESSION_QUEUE`)."""


class FairQueue:
    """Lanes served round robin, each of at most `cap` items; the rest wait for room (module docstring).

    Args:
        cap: items one owner may have in its lane.
    """

    def __init__(self, cap: int = CAP):
        if cap < 1:
            raise ValueError(f"`cap` must be a positive int. Received: cap={cap!r}")
        self.cap = cap
        self._lanes: dict[str, deque] = {}  # per owner with queued items, in the order the lanes were opened
        self._last: dict[str, int] = {}  # owner -> the turn its lane was last served (never: absent; a few
        # entries per browser for the server's life)
        self._turn = 0
        self._waiting: dict[str, deque] = {}  # per owner, in submission order
        self.running: dict[str, int] = {}  # owner -> its items taken and not yet finished

    def __len__(self) -> int:
        return sum(map(len, self._lanes.values())) + sum(map(len, self._waiting.values()))

    def put(self, item: Any, owner: str) -> None:
        """Queues `item` at the end of `owner`'s lane, or among its runs waiting for room when the lane is full."""
        lane = self._lanes.setdefault(owner, deque())  # a new lane is served before those served already
        if len(lane) < self.cap:
            item.held = False
            lane.append(item)
        else:
            item.held = True
            self._waiting.setdefault(owner, deque()).append(item)

    def take(self, limit: int | None = None) -> Any | None:
        """The next item in turn, passing over owners with `limit` items running (None: no limit); None when no
        lane may be served. Its lane goes to the back of the turn; call `finished(item)` when it ends."""
        lanes = [o for o in self._lanes if limit is None or self.running.get(o, 0) < limit]
        if not lanes:
            return None
        owner = min(lanes, key=lambda o: self._last.get(o, -1))  # ties (new lanes): the first opened
        item = self._lanes[owner].popleft()
        self._last[owner], self._turn = self._turn, self._turn + 1
        self.running[owner] = self.running.get(owner, 0) + 1
        item.lane = owner
        self._refill(owner)
        return item

    def finished(self, item: Any) -> None:
        """`item`, taken earlier, has ended: its owner has one run fewer training."""
        left = self.running.get(item.lane, 0) - 1
        if left > 0:
            self.running[item.lane] = left
        else:
            self.running.pop(item.lane, None)

    def remove(self, item: Any) -> bool:
        """Takes `item` out of the queue (a run nobody waits for any more). Returns whether it was queued."""
        for owner, lane in list(self._lanes.items()) + list(self._waiting.items()):
            if item in lane:
                lane.remove(item)
                self._refill(owner)
                return True
        return False

    def _refill(self, owner: str) -> None:
        """Moves `owner`'s runs waiting for room into its lane while there is room; drops empty lanes."""
        waiting = self._waiting.get(owner)
        while waiting and len(self._lanes.get(owner, ())) < self.cap:
            item = waiting.popleft()
            item.held = False
            if owner not in self._lanes:
                self._lanes[owner] = deque()
            self._lanes[owner].append(item)
        if waiting is not None and not waiting:
            del self._waiting[owner]
        if owner in self._lanes and not self._lanes[owner]:
            del self._lanes[owner]  # its last turn is kept: a run queued right after its lane emptied (a sweep
            # whose first run started at once) does not count as a new lane, served before the others

    def order(self, limit: int | None = None) -> list:
        """Every queued item in the order `take(limit)` will return them, if nothing else is queued meanwhile and,
        when no lane may be served for its owner's `limit`, the runs training then end first."""
        lanes = {o: deque(lane) for o, lane in self._lanes.items()}
        waiting = {o: deque(w) for o, w in self._waiting.items()}
        last, turn, out = dict(self._last), self._turn, []
        running = dict(self.running) if limit is not None else {}
        while lanes:
            free = [o for o in lanes if limit is None or running.get(o, 0) < limit]
            if not free:  # every owner with runs queued is at its limit: the runs training now end first
                running, free = {}, list(lanes)
            owner = min(free, key=lambda o: last.get(o, -1))
            running[owner] = running.get(owner, 0) + 1
            lane = lanes[owner]
            out.append(lane.popleft())
            last[owner], turn = turn, turn + 1
            if waiting.get(owner):
                lane.append(waiting[owner].popleft())
            if not lane:
                del lanes[owner]
        return out

    def owners(self) -> dict[str, int]:
        """Owner -> its queued items (in its lane and waiting for room)."""
        counts = {o: len(lane) for o, lane in self._lanes.items()}
        for owner, waiting in self._waiting.items():
            counts[owner] = counts.get(owner, 0) + len(waiting)
        return counts
