#!/usr/bin/env python3
"""Slow clients against a local `kpot server`, while /healthz is timed.

    python3 bench/slowloris.py PORT PID [--clients 2000] [--seconds 20] [--idle]

Opens CLIENTS connections to 127.0.0.1:PORT that send a request head one
header line per second and never finish it (with --idle: send nothing),
reopening none. Every half second it counts the sockets the server process
PID holds (/proc/PID/fd) and times a fresh GET /healthz. Prints one line
per second and a summary: connections the server held (most, at the end),
connections it closed, and the /healthz latencies (over 100 ms counted).
Only 127.0.0.1; bounded in clients and seconds. Python 3.11, no packages.
"""

import argparse
import asyncio
import os
import resource
import statistics
import time


def held_sockets(pid: int) -> int:
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


async def slow_client(port: int, idle: bool, stop: float, closed: list) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        closed[0] += 1
        return
    try:
        if not idle:
            writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        line = 0
        while time.monotonic() < stop:
            try:
                data = await asyncio.wait_for(reader.read(1024), timeout=1.0)
                if not data:
                    closed[0] += 1
                    return
            except asyncio.TimeoutError:
                pass
            if not idle:
                line += 1
                writer.write(f"X-Slow-{line}: {line}\r\n".encode())
                await writer.drain()
    except (ConnectionError, OSError):
        closed[0] += 1
    finally:
        writer.close()


async def healthz(port: int) -> float | None:
    started = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        if not answer.startswith(b"HTTP/1.1 200"):
            return None
        return (time.monotonic() - started) * 1000
    except (OSError, asyncio.TimeoutError):
        return None


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("pid", type=int)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--idle", action="store_true")
    args = parser.parse_args()
    clients = min(args.clients, 5000)
    seconds = min(args.seconds, 120)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, clients + 256)), hard))

    baseline = held_sockets(args.pid)
    stop = time.monotonic() + seconds
    closed = [0]
    tasks = []
    for _ in range(clients):
        tasks.append(asyncio.create_task(slow_client(args.port, args.idle, stop, closed)))
        await asyncio.sleep(0)
    latencies, failures, most = [], 0, 0
    tick = 0
    while time.monotonic() < stop:
        await asyncio.sleep(0.5)
        held = held_sockets(args.pid) - baseline
        most = max(most, held)
        ms = await healthz(args.port)
        if ms is None:
            failures += 1
        else:
            latencies.append(ms)
        tick += 1
        if tick % 2 == 0:
            shown = "failed" if ms is None else f"{ms:.1f} ms"
            print(f"  t={tick / 2:4.0f} s  server holds {held:5d} client sockets  closed by server so far {closed[0]:5d}  /healthz {shown}")
    held = held_sockets(args.pid) - baseline
    await asyncio.gather(*tasks, return_exceptions=True)
    kind = "idle" if args.idle else "slowloris (one header line a second, never finished)"
    print(f"{clients} {kind} clients for {seconds:.0f} s: the server held at most {most} and {held} at the end; it closed {closed[0]}")
    if latencies:
        print(
            f"/healthz: {len(latencies)} answered, {failures} failed; latency ms min {min(latencies):.1f} "
            f"median {statistics.median(latencies):.1f} max {max(latencies):.1f}; over 100 ms: "
            f"{sum(1 for l in latencies if l > 100)}"
        )
        print("  all: " + " ".join(f"{l:.1f}" for l in latencies))
    else:
        print(f"/healthz: never answered ({failures} tries)")


asyncio.run(main())
