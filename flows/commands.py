"""The Prefect side of the command line: each command's flow, run on the server flows.server picks,
and `spokeplan server start|stop|status`.

flows/cli.py imports this module only once a command's inputs have passed their plain check
(flows/checks.py), so `validate` and bad input never pay for importing Prefect.
"""

from __future__ import annotations

import argparse
import sys
import time

from flows.demo_flow import demo_flow
from flows.monitor_flow import monitor_flow
from flows.params import DemoParams, MonitorParams, PlanParams, RefreshParams, ScopeParams, SweepParams
from flows.plan_flow import plan_flow
from flows.refresh_flow import refresh_flow
from flows.runtime import EXIT_INTERNAL, EXIT_OK, RunOutcome
from flows.scope_flow import scope_flow
from flows.server import (
    ServerError,
    ServerRecord,
    flow_server,
    read_record,
    running_server,
    start_server,
    stop_server,
)
from flows.sweep_flow import sweep_flow


def flow_call(args: argparse.Namespace):
    """The flow of a command and its parameters."""
    if args.command == "demo":
        return demo_flow, DemoParams(
            model=args.model, out_dir=args.out, time_limit=args.time_limit, workers=args.workers
        )
    if args.command == "plan":
        return plan_flow, PlanParams(
            scenario_dir=args.scenario_dir,
            out_dir=args.out,
            time_limit=args.time_limit,
            workers=args.workers,
            store_dir=args.store,
            snapshot=args.snapshot,
            runner=args.runner,
            address=args.address,
        )
    if args.command == "scope":
        return scope_flow, ScopeParams(
            scenario_dir=args.scenario_dir, out_dir=args.out, store_dir=args.store, snapshot=args.snapshot
        )
    if args.command == "sweep":
        return sweep_flow, SweepParams(
            sweep_file=args.sweep_file,
            out_dir=args.out,
            runner=args.runner,
            address=args.address,
            max_parallel=args.parallel,
        )
    if args.command == "refresh":
        return refresh_flow, RefreshParams(sources_file=args.sources_file, store_dir=args.store)
    if args.command == "monitor":
        return monitor_flow, MonitorParams(
            store_dir=args.store_dir, service_model=args.model, out_dir=args.out, disclosure_threshold=args.threshold
        )
    raise ValueError(f"no flow for command {args.command!r}")


def run_flow(args: argparse.Namespace) -> RunOutcome:
    """Run the command's flow as a Prefect flow run and return its outcome (never a raised bad input)."""
    flow, params = flow_call(args)
    started = time.perf_counter()
    with flow_server() as server:
        if server.kind == "temporary":
            print(
                f"spokeplan: no Prefect server running; started a temporary one for this command "
                f"({time.perf_counter() - started:.0f} s; `spokeplan server start` keeps one for every command)",
                file=sys.stderr,
            )
        state = flow(params=params, return_state=True)
        outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, BaseException):
        raise outcome
    if not isinstance(outcome, RunOutcome):
        raise RuntimeError(f"flow returned {type(outcome).__name__}, not a RunOutcome")
    return outcome


def run_server_command(action: str, port: int | None = None) -> RunOutcome:
    """`spokeplan server start|stop|status`: the text to print, exit 0 (1 when a start fails)."""
    record: ServerRecord | None
    try:
        if action == "start":
            record, started = start_server(port)
            verb = "started" if started else "already running"
            return RunOutcome(
                EXIT_OK,
                summary={
                    "text": (
                        f"spokeplan: Prefect server {verb} at {record.ui} (pid {record.pid}, log {record.log}); "
                        f"spokeplan commands report their flow runs to it until `spokeplan server stop`"
                    )
                },
            )
        if action == "stop":
            record = stop_server()
            return RunOutcome(
                EXIT_OK,
                summary={
                    "text": "spokeplan: no server was started by spokeplan"
                    if record is None
                    else f"spokeplan: Prefect server at {record.ui} stopped"
                },
            )
        record = running_server()
        if record is not None:
            text = f"spokeplan: Prefect server running at {record.ui} (pid {record.pid}, log {record.log})"
        elif read_record() is not None:
            text = "spokeplan: the server spokeplan started is not answering; `spokeplan server stop` clears it"
        else:
            text = (
                "spokeplan: no server running; each command starts a temporary one "
                "(`spokeplan server start` keeps one for every command)"
            )
        return RunOutcome(EXIT_OK, summary={"text": text})
    except ServerError as error:
        return RunOutcome(EXIT_INTERNAL, [f"spokeplan: server: {error}"])
