"""Load generation: a bounded asyncio HTTP/1.1 client (see :class:`HTTPClient` for why it
is hand-made), requests sent ``concurrency`` at a time (:func:`run_requests`) and
endpoints measured side by side in alternating blocks (:func:`run_blocks`)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit


@dataclasses.dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    label: str = ""


@dataclasses.dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    latency: float
    started: float
    request: Request


class HTTPClient:
    """One keep-alive HTTP/1.1 connection over asyncio streams.

    Why not httpx or aiohttp: on a 2-core machine the load generator shares the
    CPU with the server, and every microsecond it spends per request is taken
    from the server and flattens every ratio towards 1. httpx's AsyncClient
    costs several times more per request than these ~60 lines, and aiohttp
    would be a dependency for the same result. The requests are simple (no
    TLS, no redirects, bodies with Content-Length or chunked).
    """

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def send(self, req: Request) -> tuple[int, dict[str, str], bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                await self._connect()
            head = [f"{req.method} {req.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            head += [f"{k}: {v}" for k, v in req.headers]
            if req.body or req.method in ("POST", "PUT", "PATCH"):
                head.append(f"Content-Length: {len(req.body)}")
            try:
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + req.body)
                return await self._read()
            except (ConnectionError, asyncio.IncompleteReadError):
                # A kept-alive connection the server closed: reconnect once.
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _read(self) -> tuple[int, dict[str, str], bytes]:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(p[:-2] for p in parts)
        elif status in (204, 304):
            body = b""
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, body


async def _drive(
    base_url: str,
    requests: Sequence[Request],
    concurrency: int,
    on_response: Callable[[Response], None] | None,
    clients: list[HTTPClient] | None = None,
) -> tuple[list[Response], float]:
    parts = urlsplit(base_url)
    own = clients is None
    if clients is None:
        clients = [HTTPClient(parts.hostname, parts.port) for _ in range(concurrency)]
    queue = iter(enumerate(requests))
    results: list[Response | None] = [None] * len(requests)

    async def worker(client: HTTPClient) -> None:
        for index, req in queue:
            started = time.perf_counter()
            try:
                status, headers, body = await client.send(req)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                status, headers, body = 0, {}, repr(exc).encode()
                await client.close()
            resp = Response(status, headers, body, time.perf_counter() - started, started, req)
            results[index] = resp
            if on_response:
                on_response(resp)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients[:concurrency]))
    elapsed = time.perf_counter() - t0
    if own:
        await asyncio.gather(*(c.close() for c in clients))
    return [r for r in results if r is not None], elapsed


def run_requests(
    base_url: str,
    requests: Sequence[Request],
    concurrency: int,
    on_response: Callable[[Response], None] | None = None,
) -> tuple[list[Response], float]:
    """Send every request, ``concurrency`` at a time; returns responses and wall time."""
    return asyncio.run(_drive(base_url, requests, concurrency, on_response))


@dataclasses.dataclass
class Stats:
    label: str
    count: int = 0
    seconds: float = 0.0
    errors: int = 0
    latencies: list[float] = dataclasses.field(default_factory=list)
    statuses: dict[int, int] = dataclasses.field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def row(self) -> str:
        codes = ",".join(f"{k}:{v}" for k, v in sorted(self.statuses.items()))
        return (
            f"{self.label:<22} {self.rps:>9.0f} {self.pct(0.5) * 1000:>9.1f} "
            f"{self.pct(0.99) * 1000:>9.1f} {self.count:>8}  {codes}"
        )


STATS_HEADER = f"{'endpoint':<22} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'requests':>8}  status"


def run_blocks(
    base_url: str,
    endpoints: dict[str, Callable[[int], Request]],
    *,
    concurrency: int,
    block: int,
    rounds: int,
    warmup: int = 0,
    check: Callable[[str, Response], bool] | None = None,
) -> dict[str, Stats]:
    """Measure endpoints side by side: rounds of A, B, C... blocks of ``block`` requests.

    Each block runs one endpoint alone at full concurrency (so its throughput
    is its own), and the rounds alternate the endpoints through the whole run,
    so slow drifts of the machine (another process, CPU frequency) fall on
    all of them alike. ``endpoints`` maps a label to ``f(i) -> Request``.
    Connections are kept alive across blocks, as a browser or app would.
    """
    stats = {label: Stats(label) for label in endpoints}
    counters = dict.fromkeys(endpoints, 0)

    def make(label: str, n: int) -> list[Request]:
        start = counters[label]
        counters[label] += n
        return [endpoints[label](start + i) for i in range(n)]

    async def main() -> None:
        parts = urlsplit(base_url)
        clients = [HTTPClient(parts.hostname, parts.port) for _ in range(concurrency)]
        try:
            for label in endpoints:
                if warmup:
                    await _drive(base_url, make(label, warmup), concurrency, None, clients)
            for _ in range(rounds):
                for label in endpoints:
                    responses, elapsed = await _drive(
                        base_url, make(label, block), concurrency, None, clients
                    )
                    s = stats[label]
                    s.count += len(responses)
                    s.seconds += elapsed
                    for r in responses:
                        s.latencies.append(r.latency)
                        s.statuses[r.status] = s.statuses.get(r.status, 0) + 1
                        ok = 200 <= r.status < 400 and (check is None or check(label, r))
                        if not ok:
                            s.errors += 1
        finally:
            await asyncio.gather(*(c.close() for c in clients))

    asyncio.run(main())
    return stats
