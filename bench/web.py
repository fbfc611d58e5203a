"""Loopback load test of the web app: the plan API and every page under 20 concurrent clients.

Generates the demo organisation (1M events by default) in a fresh
BACKPLAN_HOME, starts ``backplan serve`` in its own process on 127.0.0.1,
signs 20 clients in (reps for the plan API, a manager for the team page)
and has them call each endpoint as fast as they can, bounded in time and in
requests. Then the pages, as JSON twins: a rep's Today (``/``) and My plan
(``/plan``), the team page, the Forecast page (the leadership view) as an
admin and as a manager, OKRs and Coaching, each first asked once by every
client at once (each worker computes its own first answer; the slowest is
printed as "first"), then measured. The baseline, measured in the same run with
the same clients, is ``/healthz``: the framework, middleware and a session
lookup, without the planner or the data. Prints p50/p95/max latency,
throughput and errors, and each p50 and p95 over the baseline's.

Last, the first request after an import: a few thousand more events are
imported into the store while the server runs; one client asks for the
Forecast page again and again until it shows them (until then it is given
the figures kept from before, marked with ``X-Backplan-Figures-As-Of``,
while each worker computes the new ones), then after a second import every
page once, as the first people after an import see them.

    python bench/web.py --clients 20 --workers 2 --seconds 10 --events 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import select

from backplan import appdb
from backplan.appdb.models import Rep, Team
from backplan.config import Settings
from backplan.services.accounts import Accounts
from backplan.services.demo.generator import generate_demo

JSON = {"Accept": "application/json"}
AS_OF = "x-backplan-figures-as-of"
RATES = {"conversations/dials": "0.07", "meetings/conversations": "1/7", "sqls/meetings": "1/3"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def make_organisation(
    home: Path, clients: int, events: int, reps: int
) -> tuple[list[tuple[str, str]], tuple[str, str], tuple[str, str], str]:
    """The demo organisation, an account for each of ``clients`` reps, a manager and an admin."""
    start = time.perf_counter()
    summary = generate_demo(Settings(home=home), reps=reps, events=events)
    print(f"demo organisation: {summary.reps} reps, {summary.teams} teams, "
          f"{summary.events:,} events ({time.perf_counter() - start:.1f} s)")  # fmt: skip
    settings = Settings(home=home)
    with appdb.session(settings) as s:
        roster = s.execute(select(Rep.key, Team.name).join(Team).order_by(Rep.key)).all()
    accounts = Accounts(settings)
    people = []
    for i, (rep, _) in enumerate(roster[:clients]):
        email, password = f"rep{i}@example.com", secrets.token_urlsafe(12)
        accounts.add_user(email, password, "rep", rep=rep)
        people.append((email, password))
    team = roster[0][1]
    manager = ("manager@example.com", secrets.token_urlsafe(12))
    accounts.add_user(*manager, "manager", teams=[team])
    admin = ("admin@example.com", secrets.token_urlsafe(12))
    accounts.add_user(*admin, "admin")
    return people, manager, admin, team


def start_server(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    # A throwaway organisation on loopback: its admin signs in without an authenticator app.
    env = {**os.environ, "BACKPLAN_HOME": str(home), "BACKPLAN_ADMIN_TWO_FACTOR": "optional"}
    backplan = Path(sys.executable).with_name("backplan")
    server = subprocess.Popen(
        [str(backplan), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # its workers go with it: stop() ends the whole group
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    stop(server)
    raise SystemExit("the server did not start")


def stop(server: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


async def signed_in(base: str, email: str, password: str) -> tuple[httpx.AsyncClient, str]:
    client = httpx.AsyncClient(base_url=base, timeout=30)
    response = await client.post("/api/session", json={"email": email, "password": password})
    response.raise_for_status()
    return client, response.json()["csrf_token"]


async def load(
    clients: list[tuple[httpx.AsyncClient, str]], method: str, path: str, body: object,
    seconds: float, limit: int,
) -> tuple[list[float], int, float]:  # fmt: skip
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient, csrf: str, n: int) -> None:
        nonlocal errors
        while time.perf_counter() < deadline and len(latencies) < limit:
            payload = body
            if isinstance(body, dict):  # vary the objective so nothing can be cached
                payload = {**body, "objective": f"{2 + n % 7} sqls"}
            start = time.perf_counter()
            try:
                response = await client.request(
                    method, path, json=payload, headers={"X-CSRF-Token": csrf, **JSON}
                )
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - start)
            errors += not ok
            n += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker(c, t, i) for i, (c, t) in enumerate(clients)))
    return latencies, errors, time.perf_counter() - start


def report(name: str, latencies: list[float], errors: int, elapsed: float) -> tuple[float, float]:
    name = name if len(name) <= 24 else name[:23] + "…"
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1e3
    p95 = ordered[int(0.95 * (len(ordered) - 1))] * 1e3
    print(
        f"{name:<24} {len(ordered):6d} requests  {len(ordered) / elapsed:7.0f}/s  "
        f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {ordered[-1] * 1e3:6.1f} ms  errors {errors}"
    )
    return p50, p95


async def first(client: tuple[httpx.AsyncClient, str], path: str) -> float:
    """The time of one request, the first for its page (nothing kept yet), in ms."""
    return (await timed(client, path))[0]


async def first_round(clients: list[tuple[httpx.AsyncClient, str]], path: str) -> float:
    """Every client asks once, all at once, before the page is measured: each server worker
    computes its own first answer (a client's connection stays with one worker). The slowest
    of these, in ms: what the first people wait. The steady state is measured after."""
    times = await asyncio.gather(*(first(client, path) for client in clients))
    return max(times)


async def timed(client: tuple[httpx.AsyncClient, str], path: str) -> tuple[float, bool]:
    """The time of one request in ms, and whether it was given figures from before the latest
    import while the new ones are computed (the ``X-Backplan-Figures-As-Of`` header)."""
    start = time.perf_counter()
    response = await client[0].get(path, headers=JSON)
    response.raise_for_status()
    return (time.perf_counter() - start) * 1e3, AS_OF in response.headers


def import_more(home: Path, share: float = 0.01, seed: int = 7) -> int:
    """Import ``share`` of the last 30 days' events again, under new ids and dated an hour ago:
    this month's figures change, as after a day's import."""
    import duckdb

    from backplan.events.store import EventStore

    store = EventStore(home)
    con = duckdb.connect()
    table = con.sql(
        f"SELECT 'again-{seed}-' || event_id AS event_id, rep, now() - INTERVAL 1 HOUR AS \"at\", kind, "
        "prospect, amount, source "
        f"FROM read_parquet('{store.glob}') WHERE \"at\" >= now() - INTERVAL 30 DAY "
        f"USING SAMPLE {share * 100:g} PERCENT (bernoulli, {seed})"
    ).arrow()
    return store.append(table.read_all() if hasattr(table, "read_all") else table).added


async def after_an_import(
    home: Path, pages: list[tuple[str, list[tuple[httpx.AsyncClient, str]], str]],
    admin: tuple[httpx.AsyncClient, str],
) -> None:  # fmt: skip
    """The Forecast page asked again and again from the moment an import lands until it shows
    the new events, then every page once: what the first people after an import wait."""
    client = admin[0]
    old = (await client.get("/forecast", headers=JSON)).json()
    started = time.perf_counter()
    added = import_more(home)
    landed = time.perf_counter()
    print(f"\nimported {added:,} more events in {landed - started:.1f} s; the Forecast page "
          "asked again until it shows them:")  # fmt: skip
    waits: list[float] = []
    earlier = 0
    while time.perf_counter() - landed < 300:
        t0 = time.perf_counter()
        response = await client.get("/forecast", headers=JSON)
        waits.append((time.perf_counter() - t0) * 1e3)
        earlier += AS_OF in response.headers
        if response.json() != old:
            break
    print(f"  {len(waits)} requests over {time.perf_counter() - landed:.1f} s "
          f"({earlier} given the earlier figures at once, marked); slowest {max(waits):.0f} ms; "
          f"the first showing the import {waits[-1]:.0f} ms")  # fmt: skip
    import_more(home, seed=8)
    print("imported more again; each page once, at once:")
    await asyncio.sleep(2.5)  # the servers take the new fingerprint
    for name, who, path in pages:
        ms, marked = await timed(who[0], path)
        print(f"  then {name:<22} {ms:7.0f} ms{'  (earlier figures, marked)' if marked else ''}")


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="backplan-bench-web-") as tmp:
        home = Path(tmp)
        people, manager, admin, team = make_organisation(home, args.clients, args.events, args.reps)
        port = free_port()
        server = start_server(home, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            clients = [await signed_in(base, e, p) for e, p in people]
            plan_body = {"objective": "4 sqls", "working_days": 20, "rates": RATES}
            print(f"{args.clients} concurrent clients, at most {args.seconds:g} s or "
                  f"{args.requests} requests per phase, server: backplan serve "
                  f"--workers {args.workers} on loopback")  # fmt: skip
            await load(clients, "GET", "/healthz", None, 1.0, 200)  # warm up
            base_p50, base_p95 = report(
                "GET /healthz", *await load(clients, "GET", "/healthz", None, args.seconds, args.requests)
            )  # fmt: skip
            plan_p50, _ = report(
                "POST /api/plan",
                *await load(clients, "POST", "/api/plan", plan_body, args.seconds, args.requests),
            )
            managers = [await signed_in(base, *manager) for _ in range(args.clients)]
            team_path = f"/api/teams/{quote(team, safe='')}"
            await load(managers, "GET", team_path, None, 120.0, 4 * args.workers)  # first fits
            team_p50, _ = report(
                f"GET /api/teams/{team}",
                *await load(managers, "GET", team_path, None, args.seconds, args.requests),
            )
            print(f"plan API p50 / baseline p50: {plan_p50 / base_p50:.2f}×")
            print(f"team page p50 / baseline p50: {team_p50 / base_p50:.2f}×")
            admins = [await signed_in(base, *admin) for _ in range(args.clients)]
            pages = [
                ("Today /", clients, "/"),
                ("My plan /plan", clients, "/plan"),
                ("team", managers, f"/teams/{quote(team, safe='')}?objective=4%20sqls"),
                ("Forecast (admin)", admins, "/forecast"),
                ("leadership (manager)", managers, "/forecast?period=quarter"),
                ("OKRs", admins, "/okrs"),
                ("coaching", managers, "/coaching"),
            ]
            figures = []
            for name, who, path in pages:
                cold = await first_round(who, path)
                page_p50, page_p95 = report(
                    f"{name}", *await load(who, "GET", path, None, args.seconds, args.requests)
                )
                figures.append((name, cold, page_p50, page_p95))
            print(f"{'page':<24} {'first':>9} {'p50/healthz':>12} {'p95/healthz':>12}")
            for name, cold, page_p50, page_p95 in figures:
                print(f"{name:<24} {cold:7.0f} ms {page_p50 / base_p50:11.1f}× "
                      f"{page_p95 / base_p95:11.1f}×")  # fmt: skip
            await after_an_import(home, pages, admins[0])
            for client, _ in clients + managers + admins:
                await client.aclose()
        finally:
            stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="backplan serve --workers")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
