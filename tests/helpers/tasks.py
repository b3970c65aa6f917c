"""Waiting for everything a request set off, for the negative checks ("nothing was answered").

A fixed sleep before such a check passes whether or not the work had time to happen. Here the test
takes a snapshot of the event loop's tasks before the request and, after the answer, waits until
every task started since then has ended (slack-bolt runs a command's listener, and aiohttp each
connection, as tasks of the loop). Once none is left, nothing the request started is still on its
way, and the check that it did nothing is a real one."""

from __future__ import annotations

import asyncio


def tasks_now() -> set[asyncio.Task]:
    """The loop's unfinished tasks, the snapshot to take before the request."""
    return asyncio.all_tasks()


async def tasks_started_since_ended(before: set[asyncio.Task], timeout: float = 30.0) -> None:
    """Until every task started after `before` was taken (other than the caller) has ended; fails
    naming the ones still running after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()
    deadline = loop.time() + timeout
    while True:
        running = [task for task in asyncio.all_tasks() if task not in before and task is not me]
        if not running:
            return
        left = deadline - loop.time()
        if left <= 0:
            raise AssertionError(f"still running after {timeout} s: {running}")
        await asyncio.wait(running, timeout=left)
