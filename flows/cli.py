"""The `spokeplan` command line.

Each command first checks its inputs in plain Python (flows/checks.py): bad input exits 2 before
Prefect is imported or any server started, and `validate` is that check alone. The other commands
then run their Prefect flow (flows/commands.py) on the server flows/server.py picks: the configured
one, the one `spokeplan server start` keeps, or a temporary one for this command. `travel` reads and
writes small files with plain functions (flows/travel_command.py) and starts no Prefect server.
`serve` runs the web workbench (flows/workbench) until stopped; its re-solves are plan flow runs on
the server flows/server.py picks, held for as long as it runs.

Exit codes (DESIGN.md): 0 success, 2 bad input (`error: FILE:LINE: COLUMN: ...` lines), 3 infeasible
(the conflicting rules in plain words), 1 an unexpected internal error (one line; `--debug` for the
traceback).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import warnings
from collections.abc import Sequence

from flows import checks
from flows.params import MonitorParams, dask_address
from flows.runtime import EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_INTERNAL, EXIT_OK, RunOutcome, output_folder_rejected
from scoping.scenario.schemas import ROUTER_FORMATS, TRAVEL_MODES
from scoping.store.snapshots import SNAPSHOT_ID

# Prefect reads these at import: no telemetry (this machine has no network), quiet console logs.
_PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}
# Without --debug the terminal shows spokeplan's own lines only: Prefect's console log handler (task
# and flow failures with their tracebacks, the temporary server's messages) is silenced, while the
# runs' logs still reach the Prefect server and its UI (the API handler is another handler).
_QUIET_CONSOLE = {"PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL"}


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spokeplan",
        description="Plan Hub and Spoke expansion: allocate spokes to hosts under travel, caseload and "
        "supervision limits.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="scope and plan a shipped demo scenario (inputs/demo, or --model)")
    demo.add_argument(
        "--model",
        default="cse-hub-and-spoke",
        metavar="ID",
        help="service model of the demo: cse-hub-and-spoke (default, inputs/demo) or no-wrong-door "
        "(inputs/demo_no_wrong_door)",
    )
    demo.add_argument(
        "--out", default=None, help="output directory (default: outputs/demo, or outputs/demo-no-wrong-door)"
    )
    _solver_options(demo)

    plan = commands.add_parser("plan", help="allocate spokes for a scenario directory")
    plan.add_argument("scenario_dir", metavar="SCENARIO_DIR")
    plan.add_argument("--out", required=True, help="output directory for the plan files")
    _solver_options(plan)
    _store_options(plan)
    plan.add_argument(
        "--runner",
        choices=("local", "dask"),
        default="local",
        help="regions of the reach graph (windows of nearby hosts on a large instance) solved in turn (default) "
        "or on Dask via prefect-dask",
    )
    plan.add_argument(
        "--address",
        type=dask_address,
        default=None,
        metavar="ADDR",
        help="scheduler of an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (default: a local cluster)",
    )

    scope = commands.add_parser("scope", help="scoping profiles and a scoping report per authority")
    scope.add_argument("scenario_dir", metavar="SCENARIO_DIR")
    scope.add_argument("--out", required=True, help="output directory for the scoping reports")
    _store_options(scope)

    sweep = commands.add_parser("sweep", help="run many scenario variants and compare them")
    sweep.add_argument("sweep_file", metavar="SWEEP.yaml")
    sweep.add_argument("--out", required=True, help="output directory (finished variants cached in OUT/.cache)")
    sweep.add_argument(
        "--runner", choices=("local", "dask"), default="local", help="local threads (default) or Dask via prefect-dask"
    )
    sweep.add_argument(
        "--address",
        type=dask_address,
        default=None,
        metavar="ADDR",
        help="scheduler of an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (default: a local cluster)",
    )
    sweep.add_argument(
        "--parallel",
        type=_positive_int,
        default=None,
        metavar="N",
        help="variants solved at once (default: one per CPU)",
    )

    refresh = commands.add_parser("refresh", help="collect scoping data into a versioned store; report what changed")
    refresh.add_argument("sources_file", metavar="SOURCES.yaml")
    refresh.add_argument("--store", required=True, help="the versioned store directory")

    # --- monitor (outcome measures across refresh snapshots; flows/monitor_flow.py) ---
    monitor = commands.add_parser("monitor", help="track a service model's outcome measures across a refresh store")
    monitor.add_argument("store_dir", metavar="STORE")
    monitor.add_argument(
        "--model",
        required=True,
        metavar="ID|PATH",
        help="the service model whose outcome measures are tracked: a shipped id "
        "(cse-hub-and-spoke, no-wrong-door) or a service-model .yaml path, as in scenario.yaml; "
        "its `outcomes_catalogue` names the measures",
    )
    monitor.add_argument("--out", required=True, help="output directory for monitoring.html and monitoring.csv")
    monitor.add_argument(
        "--threshold",
        type=int,
        default=MonitorParams.model_fields["disclosure_threshold"].default,
        choices=range(0, 101),
        metavar="N",
        help="disclosure threshold: case-derived counts 1..N shown as c (default %(default)s)",
    )
    # --- end monitor ---

    validate = commands.add_parser("validate", help="check a scenario's inputs only (exit 0 or 2)")
    validate.add_argument("scenario_dir", metavar="SCENARIO_DIR")
    _travel_parser(commands)

    server = commands.add_parser(
        "server", help="keep a local Prefect server for every command's flow runs (start | stop | status)"
    )
    server.add_argument("action", choices=("start", "stop", "status"))
    server.add_argument(
        "--port",
        type=_port,
        default=None,
        metavar="N",
        help="port of 127.0.0.1 for `start` (default: Prefect's 4200, or a free one)",
    )

    serve = commands.add_parser("serve", help="a local web workbench: try options, re-solve, compare versions")
    serve.add_argument(
        "--workspace",
        default="spokeplan-workspace",
        metavar="DIR",
        help="folder of the workbench's scenarios and versions (default ./spokeplan-workspace; "
        "a new one starts with copies of the shipped demos)",
    )
    serve.add_argument("--port", type=_port, default=8765, metavar="N", help="port on 127.0.0.1 (default 8765)")
    return parser


def _travel_parser(commands: argparse._SubParsersAction) -> None:
    """`spokeplan travel` (flows/travel_command.py): both forms share one parser; `import` is the first word."""
    travel = commands.add_parser(
        "travel",
        help="car and public-transport minutes for a list of journeys, or import a router's times",
        usage="spokeplan travel PAIRS.csv --out OUT.csv [--scenario DIR]\n"
        "       spokeplan travel import FILE --format osrm|r5py|csv --out travel_times.csv [--ids FILE] ...",
        description="PAIRS.csv: from,to columns of UK postcodes (or ids of the scenario given with --scenario); "
        "OUT.csv adds car_minutes, public_transport_minutes, source and public_transport_source "
        "(measured, routed or estimated). `travel import` turns a router's answer into "
        "travel_times.csv rows (source routed).",
    )
    travel.add_argument("pairs_csv", metavar="PAIRS.csv|import", help="the journeys, or the word import")
    travel.add_argument("import_file", nargs="?", metavar="FILE", help="(import) the router's output file")
    travel.add_argument("--out", required=True, help="the file to write (OUT.csv, or travel_times.csv for import)")
    travel.add_argument(
        "--scenario",
        metavar="DIR",
        help="a scenario directory: PAIRS.csv may name its places by id, and its travel_times.csv applies",
    )
    travel.add_argument(
        "--format",
        choices=ROUTER_FORMATS,
        help="(import) OSRM table JSON, r5py travel-time matrix CSV, or a plain from_id,to_id,minutes CSV",
    )
    travel.add_argument(
        "--ids",
        metavar="FILE",
        help="(import, osrm) CSV with an id column: the place of each "
        "coordinate, in the order sent (sources and destinations alike)",
    )
    travel.add_argument("--source-ids", metavar="FILE", help="(import, osrm) ids of the table's sources, in order")
    travel.add_argument("--destination-ids", metavar="FILE", help="(import, osrm) ids of the table's destinations")
    travel.add_argument(
        "--mode",
        choices=TRAVEL_MODES,
        help="(import) the mode the router was asked for (default: car for osrm and csv, public_transport for r5py)",
    )
    travel.add_argument(
        "--time-column",
        metavar="NAME",
        help="(import, r5py) the travel-time column when there are several (travel_time_p50, ...)",
    )


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 1024 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1024 to 65535, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _solver_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--time-limit",
        type=_positive_float,
        default=60.0,
        metavar="S",
        help="solver time limit in seconds, all objective stages together (default 60)",
    )
    parser.add_argument(
        "--workers", type=_positive_int, default=1, metavar="N", help="solver threads (default 1: deterministic)"
    )


def _snapshot_id(text: str) -> str:
    """argparse type for --snapshot: a refresh snapshot id (YYYYmmddTHHMMSSZ)."""
    if not re.match(SNAPSHOT_ID, text):
        raise argparse.ArgumentTypeError(f"expected a snapshot id such as 20250801T063000Z, got {text[:40]!r}")
    return text


def _store_options(parser: argparse.ArgumentParser) -> None:
    """--store DIR [--snapshot ID] of plan and scope (issue #17: the refresh feeds the plan)."""
    parser.add_argument(
        "--store",
        metavar="DIR",
        help="a refresh store (spokeplan refresh ... --store DIR): its "
        "snapshot gives the scenario's tables and indicator files",
    )
    parser.add_argument(
        "--snapshot", type=_snapshot_id, metavar="ID", help="the store's snapshot to use (default: the latest)"
    )


def _print_plan_summary(summary: dict, written: list[str]) -> None:
    gap = summary["gap"]
    lines = [
        f"spokeplan: plan for {summary['scenario']} ({summary['status']}, backend {summary['backend']})",
        f"  spokes placed      {summary['spokes']} at {summary['hosts_used']} hosts from {summary['hubs_used']} hubs"
        if "service_model" not in summary
        else f"  {summary['workers_label']:<18} {summary['spokes']} at {summary['hosts_used']} bases in {summary['hubs_used']} "
        f"hub teams (service model {summary['service_model']})\n  support team       {summary['team_text']}",
        f"  cases covered      {summary['covered_text']} of {summary['demand_text']} at any one time "
        f"({summary['share_text']})",
        f"  proven bound       {summary['bound_text']} cases, gap {gap:.2%}",
        *([f"  stages             {summary['stages_text']}"] if summary.get("stages_text") else []),
        *([f"  started from       {summary['start_text']}"] if summary.get("start_text") else []),
        f"  cost per year      £{summary['cost_per_year']:,.0f}"
        + (f" ({summary['cost_text']})" if summary.get("cost_text") else ""),
        *([f"  supervision        {summary['supervision_text']}"] if summary.get("supervision_text") else []),
        f"  reach per year     {summary['reach_text']} young people (spokes x young people per spoke per year)",
        f"  solve / wall time  {summary['solve_seconds']:.2f} s / {summary['wall_seconds']:.1f} s",
    ]
    if summary.get("rollout_lines"):  # a phased plan: coverage by year under central demand
        lines += ["  roll-out by year   " + summary["rollout_lines"][0]] + [
            " " * 21 + line for line in summary["rollout_lines"][1:]
        ]
    if summary.get("programme_lines"):  # a programme of services: its total cost and reach
        lines += ["  programme total    " + summary["programme_lines"][0]] + [
            " " * 21 + line for line in summary["programme_lines"][1:]
        ]
    if summary.get("since_lines"):  # a plan from a store snapshot: what changed since the plan it replaces
        lines += ["  since last plan    " + summary["since_lines"][0]] + [
            " " * 21 + line for line in summary["since_lines"][1:]
        ]
    if summary.get("robustness_lines"):  # demand scenarios: this plan next to the central plan
        lines += ["  demand scenarios   " + summary["robustness_lines"][0]] + [
            " " * 21 + line for line in summary["robustness_lines"][1:]
        ]
    if any(re.search(r"(^|[\s(])c([\s),]|$)", line) for line in lines[2:]):  # a count shown as c: say why
        lines.append(f"  {summary['disclosure_legend']}")
    lines.append(f"  {summary['estimate_legend']}")  # reach is always one
    lines += pack_lines(summary["out_dir"], written)
    print("\n".join(lines))


def pack_lines(out_dir: str, written: list[str]) -> list[str]:
    """Where the two packs are (issue #17), and the copies directly in OUT (README.txt says which is which)."""
    top = [os.path.relpath(p, out_dir) for p in written]
    copies = [name for name in top if os.sep not in name and name != "README.txt"]
    return [
        f"  internal pack      {os.path.join(out_dir, 'internal')}  (exact figures, OFFICIAL-SENSITIVE — not for "
        "publication)",
        f"  public pack        {os.path.join(out_dir, 'public')}  (disclosure-controlled: the one to publish)",
        f"  also in {out_dir}: " + ", ".join(copies) + " (copies; README.txt says which pack each is from)",
    ]


def _print_scope_summary(summary: dict) -> None:
    print(
        f"spokeplan: scoped {summary['scenario']}: {summary['reports']} authority reports "
        f"({summary['urban']} urban, {summary['mixed']} mixed, {summary['rural']} rural); "
        f"{summary['authorities_with_gaps']} with service gaps, {summary['red_flags']} red indicator flags; "
        f"{summary['wall_seconds']:.1f} s"
        + (f"\n  data from store snapshot {summary['snapshot']}" if summary.get("snapshot") else "")
        + f"\n  open {summary['index']}\n"
        f"  internal pack      {os.path.join(summary['out_dir'], 'internal')}  (exact figures, OFFICIAL-SENSITIVE — "
        f"not for publication)\n"
        f"  public pack        {os.path.join(summary['out_dir'], 'public')}  (disclosure-controlled: the one to publish)"
    )


def _print_validate_summary(summary: dict) -> None:
    print(
        f"spokeplan: {summary['scenario']} is valid: {summary['hubs']} hubs, {summary['hosts']} hosts, "
        f"{summary['areas']} areas in {summary['authorities']} authorities; "
        f"{summary['supervision_pairs']} hub-host and {summary['casework_pairs']} host-area pairs within the "
        f"travel limits"
    )


def check_inputs(args: argparse.Namespace) -> RunOutcome:
    """The command's plain-Python inputs check (flows/checks.py) and its --out folder, reported
    together; exit 0 lets its flow run."""
    if args.command in ("plan", "scope") and args.snapshot is not None and args.store is None:
        return RunOutcome(
            EXIT_BAD_INPUT,
            [f"error: --snapshot: -: {args.snapshot} names a snapshot of a store; give the store with --store DIR"],
        )
    if args.command == "plan":
        checked = checks.check_scenario(args.scenario_dir, args.store, args.snapshot)
    elif args.command == "validate":
        checked = checks.check_scenario(args.scenario_dir)
    elif args.command == "scope":
        checked = checks.check_scope(args.scenario_dir, args.store, args.snapshot)
    elif args.command == "demo":
        checked = checks.check_demo(args.model)
    elif args.command == "sweep":
        checked = checks.check_sweep(args.sweep_file)
    elif args.command == "refresh":
        checked = checks.check_sources(args.sources_file)
    elif args.command == "monitor":
        checked = checks.check_monitoring(args.store_dir, args.model)
    else:
        return RunOutcome(EXIT_OK)  # server: nothing to check
    out = getattr(args, "out", None)
    inputs = [getattr(args, name) for name in ("scenario_dir", "sweep_file", "store_dir") if getattr(args, name, None)]
    if args.command in ("plan", "scope") and args.store:  # --out must not be the store, nor hold it
        inputs.append(args.store)
    refused = output_folder_rejected(out, *inputs) if out is not None else None
    if refused is None:
        return checked
    messages = (checked.messages if checked.exit_code != EXIT_OK else []) + list(refused.messages)
    return RunOutcome(EXIT_BAD_INPUT, messages)


def run(args: argparse.Namespace) -> RunOutcome:
    """Check the inputs, then (unless that was the whole command) run the command on Prefect."""
    checked = check_inputs(args)
    if checked.exit_code != EXIT_OK or args.command == "validate":
        return checked
    # Prefect is imported here, after the check: importing it takes about a second, which `validate`
    # and bad input never pay (benchmarks/end_to_end.py).
    from flows.commands import run_flow, run_server_command

    if args.command == "server":
        return run_server_command(args.action, args.port)
    return run_flow(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    for key, value in {**_PREFECT_DEFAULTS, **({} if args.debug else _QUIET_CONSOLE)}.items():
        os.environ.setdefault(key, value)
    if not args.debug:  # libraries' deprecation notices are for developers, not on a user's terminal
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
    if args.command == "serve":  # a long-running local web server over the plan flow (flows/workbench/app.py)
        from flows.workbench.app import serve

        try:
            return serve(args.workspace, args.port)
        except KeyboardInterrupt:
            return 0
    try:
        if args.command == "travel":  # small files in and out: plain functions, no Prefect flow or server
            from flows.travel_command import run_travel_command

            return run_travel_command(args)
        outcome = run(args)
    except KeyboardInterrupt:
        print("spokeplan: interrupted; files already written are unchanged", file=sys.stderr)
        return 130
    except Exception as error:  # an internal error, not the user's input: one line unless --debug
        if args.debug:
            raise
        print(
            f"spokeplan: internal error: {type(error).__name__}: {error} (run with --debug for details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    if args.command in ("sweep", "refresh", "monitor", "server") and outcome.summary.get("text"):
        print(outcome.summary["text"])  # refresh: also when a source was rejected (exit 2)
    if outcome.exit_code == EXIT_OK:
        if args.command in ("sweep", "refresh", "monitor", "server"):
            pass
        elif args.command == "validate":
            _print_validate_summary(outcome.summary)
        elif args.command == "scope":
            _print_scope_summary(outcome.summary)
        else:
            _print_plan_summary(outcome.summary, outcome.written)
            if outcome.summary.get("scope_index"):
                print(f"  scoping reports: {outcome.summary['scope_index']}")
    else:
        for message in outcome.messages:
            print(message, file=sys.stderr)
    return outcome.exit_code if outcome.exit_code in (EXIT_OK, EXIT_BAD_INPUT, EXIT_INFEASIBLE) else EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
