"""Many executions of one notebook on one kernel: the per-enterprise profiles without a kernel start each.

A batch runs in its own subprocess (``python -m guozi_analysis.running.batch <spec.json>``): it starts
one kernel, then for each job injects the parameters the papermill way (the executed notebook keeps
its ``injected-parameters`` cell and papermill's metadata), clears the kernel's namespace
(what ``%reset -f`` clears; imported modules stay loaded, which is the saving), executes the cells with nbclient
and writes the executed notebook beside the others in the run folder. A failing cell ends that
notebook only; a dead kernel is restarted for the next one. One JSON line per notebook is appended
to the results file as it finishes, so a batch that dies half-way still reports what it did.

After the first notebook the batch also executes an empty notebook (the parameters cell only) on
the same kernel: the floor a profile's cost is compared with, measured in the same run.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

#: Clears what the previous notebook defined (what ``%reset -f`` clears, without its slow history and
#: garbage-collection passes); imported modules stay loaded, which is the point of reusing the kernel.
RESET = ("_gz_ip = get_ipython()\n"
         "[_gz_ip.user_ns.pop(_gz_k) for _gz_k in list(_gz_ip.user_ns)"
         " if _gz_k not in _gz_ip.user_ns_hidden and not _gz_k.startswith('_')]\n"
         "import matplotlib.pyplot as _gz_plt\n_gz_plt.close('all')\ndel _gz_ip, _gz_plt")
#: The batch kernel keeps no input history (an SQLite write per cell, in a thread that takes the GIL
#: from the cells: ~13 % of a profile batch's kernel samples) and no output cache (``Out``/``_N`` would hold
#: every profile's tables until the batch ends). Kept on a restart (jupyter_client reuses the launch
#: arguments).
KERNEL_ARGS = ("--HistoryManager.enabled=False", "--InteractiveShell.cache_size=0")
#: Label of the baseline line in the results file (an empty notebook on the same kernel).
BASELINE = "__empty_notebook__"


def _executable(template: str, parameters: dict, *, kernel: str, output: str):
    """The template with papermill's injected-parameters cell and metadata (as ``papermill`` writes them)."""
    from papermill.iorw import load_notebook_node  # deferred: heavy dependency, loaded on first use
    from papermill.parameterize import parameterize_notebook  # deferred: heavy dependency, loaded on first use

    nb = load_notebook_node(template)  # as papermill reads it: tags and papermill metadata on every cell
    nb = parameterize_notebook(nb, parameters, kernel_name=kernel, language="python")
    for k, cell in enumerate(nb.cells):  # the injected cell comes without an id (nbformat 5 wants one)
        cell.setdefault("id", f"cell-{k}")
    nb.metadata.papermill["input_path"] = template
    nb.metadata.papermill["output_path"] = output
    return nb


def _save(nb, path: Path) -> None:
    import nbformat  # deferred: heavy dependency, loaded on first use

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    nbformat.write(nb, str(tmp))
    tmp.replace(path)


def _run_cells(client, nb, *, skip_after_error: bool = True) -> tuple[str, str]:
    """Execute every code cell of ``nb`` on the client's kernel; ``(status, error)``."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError  # deferred: heavy

    client.nb = nb
    client.reset_execution_trackers()
    papermill_meta = nb.metadata.get("papermill", {})
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
        except CellTimeoutError as exc:
            cell.metadata.setdefault("tags", []).append("papermill-error-cell-tag")
            papermill_meta["exception"] = True
            return "超时", f"单元格超过时限：{str(exc).splitlines()[0] if str(exc) else exc}"
        except DeadKernelError as exc:
            papermill_meta["exception"] = True
            return "内核退出", f"内核意外退出：{exc}"
        except CellExecutionError as exc:
            cell.metadata.setdefault("tags", []).append("papermill-error-cell-tag")
            papermill_meta["exception"] = True
            return "失败", f"{exc.ename}: {exc.evalue}"
    papermill_meta["exception"] = None
    return "成功", ""


def run_batch(spec: dict) -> int:
    """Execute ``spec["jobs"]`` (template, output, parameters, label) on one kernel; results to ``spec["results"]``.

    Returns 0, or 75 when the kernel did not start (the caller may try again).
    """
    import nbformat  # deferred: heavy dependency, loaded on first use
    from jupyter_client.manager import KernelManager  # deferred: heavy dependency, loaded on first use
    from nbclient import NotebookClient  # deferred: heavy dependency, loaded on first use

    results = Path(spec["results"])
    kernel = spec["kernel"]
    km = KernelManager(kernel_name=kernel)
    try:
        km.start_kernel(cwd=spec["cwd"], extra_arguments=list(KERNEL_ARGS))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which retries once
        print(f"内核启动失败：{exc}", file=sys.stderr)
        return 75
    client = NotebookClient(nbformat.v4.new_notebook(), km=km, kernel_name=kernel, timeout=spec["cell_timeout"],
                            startup_timeout=spec.get("start_timeout", 60), interrupt_on_timeout=True,
                            allow_errors=False, record_timing=False)
    try:
        client.start_new_kernel_client()
    except Exception as exc:  # noqa: BLE001 - the kernel did not answer in time, or died first
        if isinstance(exc, TimeoutError) or "didn't respond" in str(exc):
            print(f"内核启动超时（{spec.get('start_timeout', 60)} 秒）：{exc}", file=sys.stderr)
        else:  # the runner's KERNEL_DIED_MARK
            print(f"内核启动失败：{exc}", file=sys.stderr)
        km.shutdown_kernel(now=True)
        return 75
    scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(RESET)])

    def reset() -> None:  # on a scratch notebook: nbclient writes the executed cell back into client.nb
        client.nb = scratch
        client.execute_cell(scratch.cells[0], 0, store_history=False)
    try:
        for k, job in enumerate(spec["jobs"]):
            start = time.perf_counter()
            nb = _executable(job["template"], job["parameters"], kernel=kernel, output=job["output"])
            reset()
            status, error = _run_cells(client, nb)
            _save(nb, Path(job["output"]))
            line = {"label": job["label"], "status": status, "error": error, "seconds": time.perf_counter() - start}
            with results.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            if status == "内核退出":
                km.restart_kernel(now=True)
                client.kc.stop_channels()
                client.kc = None
                client.start_new_kernel_client()
            if k == 0 and spec.get("baseline"):
                start = time.perf_counter()
                params = [c for c in nb.cells if {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))]
                empty = nbformat.v4.new_notebook(cells=params)  # the parameters cells only
                reset()
                _run_cells(client, empty)
                line = {"label": BASELINE, "status": "成功", "error": "", "seconds": time.perf_counter() - start}
                with results.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
        km.shutdown_kernel(now=True)
    return 0


if __name__ == "__main__":  # subprocess entry point used by running.runner.execute_batch
    raise SystemExit(run_batch(json.loads(Path(sys.argv[1]).read_text("utf-8"))))
