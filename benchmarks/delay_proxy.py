"""A TCP proxy that delays every chunk, for measuring widgets over a slow network.

    proxy = DelayProxy(target_port=8888)   # listens on 127.0.0.1:proxy.port
    proxy.start()
    proxy.set(rtt_ms=150, mbit_s=10)       # takes effect for the next chunk, both directions
    ...
    proxy.stop()

Each direction of each connection delays every chunk it reads by RTT/2 before writing it on
(so a request and its answer take one RTT more), keeping the order; an optional bandwidth cap
per direction is a token bucket of BURST_BYTES. HTTP and websockets both go through it, which
is why it exists: Chromium's own latency emulation does not delay websocket frames.
The proxy runs an asyncio loop in a thread of its own, so a synchronous caller (Playwright's
sync API) can use it.
"""

import asyncio
import contextlib
import threading

CHUNK_BYTES = 64 * 1024
BURST_BYTES = 16 * 1024  # about ten full-size packets


class TokenBucket:
    """Bandwidth cap: `take(n)` waits until n bytes fit in the rate (bytes per second)."""

    def __init__(self, loop):
        self.loop, self.tokens, self.stamp = loop, float(BURST_BYTES), loop.time()

    async def take(self, n: int, rate: float | None) -> None:
        if not rate:
            return
        now = self.loop.time()
        self.tokens = min(BURST_BYTES, self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        # a deficit is paid for by sleeping; the bucket may go below zero for a large chunk
        self.tokens -= n
        if self.tokens < 0:
            await asyncio.sleep(-self.tokens / rate)


class DelayProxy:
    """127.0.0.1:port -> 127.0.0.1:target_port, each direction delayed by RTT/2 per chunk."""

    def __init__(self, target_port: int, rtt_ms: float = 0, mbit_s: float | None = None):
        self.target_port, self.port = target_port, None
        self.set(rtt_ms, mbit_s)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = None

    def set(self, rtt_ms: float, mbit_s: float | None = None) -> None:
        """New round trip (milliseconds) and bandwidth cap (Mbit/s per direction, None: none)."""
        self.half_rtt_s = rtt_ms / 2000
        self.rate = mbit_s * 1e6 / 8 if mbit_s else None  # bytes per second

    def start(self) -> int:
        """Start listening on a free port of 127.0.0.1; return it."""
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connect, "127.0.0.1", 0), self.loop
        ).result(timeout=10)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    def stop(self) -> None:
        """Close the listening socket and stop the loop (open connections die with it)."""
        if self.server is not None:
            self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    async def _connect(self, client_reader, client_writer) -> None:
        """One browser connection: open one to the target and pipe both ways."""
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self._pipe(client_reader, writer), self._pipe(reader, client_writer))

    async def _pipe(self, reader, writer) -> None:
        """Copy reader -> writer, each chunk RTT/2 after it arrived, then through the bucket."""
        queue = asyncio.Queue()
        sender = asyncio.ensure_future(self._send(queue, writer))
        try:
            while data := await reader.read(CHUNK_BYTES):
                queue.put_nowait((self.loop.time() + self.half_rtt_s, data))
        except OSError:
            pass
        queue.put_nowait(None)
        await sender

    async def _send(self, queue, writer) -> None:
        """Write each queued chunk once it is due; close the writer after the last one."""
        bucket = TokenBucket(self.loop)
        try:
            while (item := await queue.get()) is not None:
                due, data = item
                await asyncio.sleep(max(0.0, due - self.loop.time()))
                await bucket.take(len(data), self.rate)
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                writer.close()
