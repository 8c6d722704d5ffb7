"""A browserless Streamlit client for load tests: one WebSocket session speaking the browser's own protocol.

A headless browser per simulated student costs far more CPU than the server's reply to it, so on a small
machine the browsers, not the server, set the figures (`class_load.py --client chromium`). This client sends
what the browser sends over `/_stcore/stream` (protobuf `BackMsg`: the page, the query string, the widgets
the student set, the browser's id cookie) and reads what the browser reads (`ForwardMsg`: the page's elements,
the end of a script run, the timers of `st.fragment(run_every=...)`, which it honours as the browser does).
It draws nothing, so a reply is timed from the request to the end of the server's script run.

Widgets are found by label in the last run's elements; only the widgets a student set are sent back, the
others keep their server-side values (as when a browser sends values unchanged).
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


class Session:
    """One browser tab: `open(page, query)`, then `set_radio`/`click` and `rerun`; `elements` are the last
    run's elements (a `new_element` proto each, in arrival order); `exceptions` counts error boxes."""

    def __init__(self, url: str, cookie: dict[str, str] | None = None):
        parts = urllib.parse.urlsplit(url)
        self.ws_url = f"ws://{parts.netloc}/_stcore/stream"
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.cookie = "; ".join(f"{k}={v}" for k, v in (cookie or {}).items())
        self.page_name, self.page_hash, self.query = "", "", ""
        self.values: dict[str, WidgetState] = {}  # the widgets this student set (sent with every rerun)
        self.elements: list = []
        self.exceptions: list[str] = []
        self._timers: dict[str, asyncio.Task] = {}
        self.paces: list[float] = []  # every fragment timer's interval the server set, in order
        self._runs: list[str] = []  # the full script runs started, in order (their run ids)
        self._ended: dict[str, int] = {}  # run id -> how it finished
        self._seen: asyncio.Condition = asyncio.Condition()
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._lock = asyncio.Lock()  # one request at a time, as a browser queues its reruns

    async def __aenter__(self) -> Session:
        headers = {"Origin": self.origin}
        if self.cookie:
            headers["Cookie"] = self.cookie
        self._ws = await connect(self.ws_url, subprotocols=["streamlit"], additional_headers=headers,
                                 max_size=None, open_timeout=120, ping_interval=None)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        for task in self._timers.values():
            task.cancel()
        if self._reader:
            self._reader.cancel()
        await self._ws.close()

    async def _read(self) -> None:
        async for data in self._ws:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = msg.new_session.page_script_hash
                if not msg.metadata.run.fragment_ids:  # a full run: the page is drawn anew
                    self.elements = []
                    self._runs.append(msg.metadata.run.script_run_id)
            elif kind == "navigation":  # st.navigation names the page it ran (new_session names app.py)
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                self.elements.append(element)
                if element.WhichOneof("type") == "exception":
                    self.exceptions.append(element.exception.message[:200])
            elif kind == "auto_rerun":
                self._timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
            elif kind == "stop_auto_rerun":
                for fid in msg.stop_auto_rerun.fragment_ids:
                    if task := self._timers.pop(fid, None):
                        task.cancel()
            elif kind == "script_finished" and not msg.metadata.run.fragment_ids:
                self._ended[msg.metadata.run.script_run_id] = msg.script_finished
            async with self._seen:
                self._seen.notify_all()

    def _timer(self, fragment_id: str, interval: float) -> None:
        self.paces.append(interval)
        if old := self._timers.pop(fragment_id, None):
            old.cancel()

        async def tick() -> None:
            while True:
                await asyncio.sleep(interval)
                if not self._lock.locked():  # as the browser: no timer rerun while the page's own run is pending
                    await self._send(fragment_id=fragment_id, auto=True)

        self._timers[fragment_id] = asyncio.create_task(tick())

    async def _send(self, fragment_id: str = "", auto: bool = False, triggers: list[WidgetState] = ()) -> None:
        back = BackMsg()
        state = back.rerun_script
        state.query_string, state.page_name, state.page_script_hash = self.query, self.page_name, self.page_hash
        state.fragment_id, state.is_auto_rerun = fragment_id, auto
        state.widget_states.widgets.extend(list(self.values.values()) + list(triggers))
        await self._ws.send(back.SerializeToString())

    async def rerun(self, triggers: list[WidgetState] = (), timeout: float = 600) -> float:
        """Sends a rerun (with a clicked button's trigger) and waits for the script run to end: its seconds."""
        async with self._lock:
            before = len(self._runs)
            t0 = time.perf_counter()
            await self._send(triggers=triggers)
            await self.wait_for(lambda s: len(s._runs) > before and s._ended.get(s._runs[-1]) in FINISHED, timeout)
            return time.perf_counter() - t0

    async def open(self, page: str, query: dict | str = "", timeout: float = 600) -> float:
        """Opens a page (its URL path, e.g. 'lesson') with a query string: the first request of a new tab."""
        self.page_name, self.page_hash = page, ""
        self.query = query if isinstance(query, str) else urllib.parse.urlencode(query)
        return await self.rerun(timeout=timeout)

    def find(self, kind: str, label: str, exact: bool = True):
        """The last run's widget (or element) of this kind whose label matches; None when absent."""
        for element in reversed(self.elements):
            if element.WhichOneof("type") == kind:
                got = getattr(element, kind)
                text = getattr(got, "label", getattr(got, "body", ""))
                if text == label or (not exact and label in text):
                    return got
        return None

    def has_text(self, text: str) -> bool:
        """Whether any markdown, caption, heading or alert box of the last run contains `text`."""
        return any(element.WhichOneof("type") in ("markdown", "heading", "alert")
                   and text in getattr(element, element.WhichOneof("type")).body for element in self.elements)

    def count(self, kind: str) -> int:
        return sum(element.WhichOneof("type") == kind for element in self.elements)

    def set_radio(self, label: str, option: int = 0) -> None:
        radio = self.find("radio", label)
        if radio is None:
            raise LookupError(f"no radio {label!r} on the page")
        self.values[radio.id] = WidgetState(id=radio.id, string_value=radio.options[option])

    async def click(self, label: str, timeout: float = 600) -> float:
        button = self.find("button", label)
        if button is None:
            raise LookupError(f"no button {label!r} on the page")
        return await self.rerun([WidgetState(id=button.id, trigger_value=True)], timeout)

    async def wait_for(self, check, timeout: float) -> float:
        """Waits until `check(self)` holds on what has arrived (elements of fragment reruns included)."""
        t0 = time.perf_counter()
        async with self._seen:
            await asyncio.wait_for(self._seen.wait_for(lambda: check(self)), timeout)
        return time.perf_counter() - t0
