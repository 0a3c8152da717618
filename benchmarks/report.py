"""The plot (time against fleet size, one line per approach) and the markdown tables."""

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen before pyplot is imported)

LINES = (
    # run name, label, style
    ("collection_first", "collection: first provisioning", {"color": "tab:blue", "linestyle": "-", "marker": "o"}),
    ("collection_rerun", "collection: idempotent re-run", {"color": "tab:blue", "linestyle": "--", "marker": "s"}),
    ("collection_check", "collection: drift check (--check)", {"color": "tab:blue", "linestyle": ":", "marker": "^"}),
    ("uri_first", "uri playbook: first provisioning", {"color": "tab:red", "linestyle": "-", "marker": "o"}),
    ("uri_rerun", "uri playbook: re-run", {"color": "tab:red", "linestyle": "--", "marker": "s"}),
    ("uri_check", "uri playbook: --check", {"color": "tab:red", "linestyle": ":", "marker": "^"}),
    ("floor", "Ansible floor: 1 trivial task per client", {"color": "tab:gray", "linestyle": "-", "marker": "x"}),
    ("physical", "physical limit: HTTP reads only", {"color": "tab:green", "linestyle": "-", "marker": "d"}),
)


def plot(results, path):
    sizes = [entry["size"] for entry in results["fleet"]]
    figure, axis = plt.subplots(figsize=(9, 6), dpi=110)
    for name, label, style in LINES:
        # The largest fleets may have only the quick set of runs (--full-up-to): plot what was run.
        points = [(entry["size"], entry["runs"][name]["wall_s"]) for entry in results["fleet"] if name in entry["runs"]]
        if points:
            axis.plot(*zip(*points), label=label, **style)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xticks(sizes, [str(size) for size in sizes])
    axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axis.set_xlabel("fleet size N (clients)")
    axis.set_ylabel("wall time (s, log scale)")
    meta = results["meta"]
    axis.set_title(f"Fleet run time, ansible-core {meta['ansible_core']}, {meta['cpus']} CPUs, forks {meta['forks']}")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _row(cells):
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def markdown(results):
    lines = ["## Fleet runs", "",
             _row(["N", "approach", "wall s", "CPU s", "max process RSS MiB", "main process peak MiB", "tree PSS MiB",
                   "emulator CPU s", "emulator peak MiB", "reads", "writes", "reads/object", "writes/object",
                   "changed"]),
             _row(["---"] * 14)]
    for entry in results["fleet"]:
        for name, label, _style in LINES:
            if name not in entry["runs"]:
                continue
            run = entry["runs"][name]
            lines.append(_row([entry["size"], label, f"{run['wall_s']:.2f}", f"{run['cpu_s']:.2f}",
                               run["max_process_rss_mib"], run.get("main_process_peak_rss_mib", "-"),
                               run["peak_tree_pss_mib"], run["emulator"]["cpu_s"],
                               run["emulator"]["peak_rss_mib"], run["emulator"]["reads"], run["emulator"]["writes"],
                               run.get("reads_per_object", "-"), run.get("writes_per_object", "-"),
                               run.get("recap", {}).get("changed", "-")]))
    lines += ["", "## Ratios (wall; CPU in brackets)", "",
              _row(["N", "check / floor", "uri check / check", "uri re-run / re-run", "check / physical"]),
              _row(["---"] * 5)]
    for entry in results["fleet"]:
        runs = entry["runs"]

        def ratio(top, bottom):
            if top in runs and bottom in runs:
                return (f"{runs[top]['wall_s'] / runs[bottom]['wall_s']:.2f} "
                        f"({runs[top]['cpu_s'] / runs[bottom]['cpu_s']:.2f})")
            return "-"

        lines.append(_row([entry["size"], ratio("collection_check", "floor"), ratio("uri_check", "collection_check"),
                           ratio("uri_rerun", "collection_rerun"), ratio("collection_check", "physical")]))
    if results.get("seeded"):
        seeded = results["seeded"]
        lines += ["", "## One client's idempotent run: empty server vs seeded", "",
                  f"Seed: {seeded['seed']} (took {seeded['seed_s']} s)", "",
                  _row(["server", "wall s (median)", "wall s (each)", "reads", "writes"]), _row(["---"] * 5)]
        for key in ("empty", "seeded"):
            part = seeded[key]
            lines.append(_row([key, part["wall_s_median"], part["wall_s"], part["reads"], part["writes"]]))
        lines += ["", f"Time ratio seeded/empty: {seeded['time_ratio']}"]
    if results.get("levers"):
        levers = results["levers"]
        lines += ["", f"## Levers (drift check, N={levers['size']})", "",
                  _row(["lever", "wall s", "CPU s", "max process RSS MiB", "tree PSS MiB"]), _row(["---"] * 5)]
        for run in levers["runs"]:
            if "error" in run:
                lines.append(_row([run["lever"], "failed", "-", "-", "-"]))
            else:
                lines.append(_row([run["lever"], f"{run['wall_s']:.2f}", f"{run['cpu_s']:.2f}",
                                   run["max_process_rss_mib"], run["peak_tree_pss_mib"]]))
    if results.get("profile"):
        profile = results["profile"]
        lines += ["", "## Profile of one module run", "", _row(["what", "seconds"]), _row(["---"] * 2)]
        for key, value in profile.items():
            if isinstance(value, (int, float)) and key != "repeat":
                lines.append(_row([key, value]))
    lines.append("")
    return "\n".join(lines)
