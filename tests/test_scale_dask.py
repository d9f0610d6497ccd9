"""Issue 27: the whole run on Dask when a scheduler is given — intake, shared step, profiles and the
volume's rendering go to the workers, and the outputs are the bytes of the local run."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guozi_analysis.base import config
from guozi_analysis.base.parallel import chunked, current_cluster, map_in_processes, on_cluster

PERIOD = "2022-11"
#: Two groups' profiles: the volume still renders per enterprise on the workers; all 500 would add
#: about 500 × 0.5 s of notebooks and as much again of rendering to each of the two runs.
ENTITIES = ["G01", "G02"]
ENTERPRISES = 500
#: What the project folder of a run shares with the checkout (read-only); data/, reports/ and runs/
#: are the run's own, so the two runs ingest afresh and publish side by side.
SHARED_FOLDERS = ("params", "notebooks", "docs", "benchmarks")


def _square(x: int) -> int:
    return x * x


def test_chunks_are_consecutive_and_in_order():
    # 10 items in at most 4 chunks: ceil(10 / 4) = 3 items each, the last one left over
    assert chunked(list(range(10)), 4) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert chunked([1, 2], 8) == [[1], [2]]
    assert chunked([], 3) == []


def test_maps_go_to_the_cluster_in_item_order_and_come_back_here_after():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        with on_cluster(client):
            assert current_cluster() is client
            # 2 workers × 4 chunks each = 8 tasks of ceil(20 / 8) = 3 items; squares in item order
            assert map_in_processes(_square, range(20), min_items=1000, stage="test") == [k * k for k in range(20)]
            # even one item goes to the cluster (its workers already run): min_items does not apply
            assert map_in_processes(_square, [7], stage="test") == [49]
            assert map_in_processes(_square, [], stage="test") == []
        assert current_cluster() is None
    assert map_in_processes(_square, [1, 2, 3], jobs=1) == [1, 4, 9]


def _lost_on_profiles(unit, **options):
    """Stands in for a unit of notebooks on a worker: a batch of profiles takes its worker down with it
    (as a kernel eating the worker's memory would), a district notebook succeeds."""
    from guozi_analysis.running.runner import PROFILE_NOTEBOOK, JobResult

    if unit[0].template.name == PROFILE_NOTEBOOK:
        os._exit(1)
    return [JobResult(job.label, str(job.output), "成功", 0.5) for job in unit]


def test_a_lost_worker_fails_only_its_notebooks(monkeypatch, tmp_path):
    import cloudpickle
    import dask
    from distributed import Client, LocalCluster

    from guozi_analysis.running import runner

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    monkeypatch.setattr(runner, "_notebook_task", _lost_on_profiles)
    job = runner.NotebookJob
    planned = [job("profile_G01", Path(runner.PROFILE_NOTEBOOK), tmp_path / "p1.ipynb", {}),
               job("profile_G02", Path(runner.PROFILE_NOTEBOOK), tmp_path / "p2.ipynb", {}),
               job("01_overview", Path("01_overview.ipynb"), tmp_path / "o.ipynb", {})]
    # no retry on another worker: the batch is lost with the first worker it kills
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        units = [planned[:2], planned[2:]]  # the two profiles in one batch, the district notebook alone
        results = runner.run_on_dask(planned, client=client, units=units)
    assert [r.label for r in results] == ["profile_G01", "profile_G02", "01_overview"]
    assert [r.status for r in results] == ["失败", "失败", "成功"]
    assert all(r.error.startswith("Dask 任务失败：KilledWorker") for r in results[:2])


def _tree(root: Path, pattern: str = "*") -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob(pattern)) if p.is_file() and ".lock" not in p.name}


def _project(root: Path) -> Path:
    """A project folder of its own (``GUOZI_ROOT``) sharing the checkout's parameters and notebooks."""
    (root / "data").mkdir(parents=True)
    for name in SHARED_FOLDERS:
        if (config.PROJECT_ROOT / name).exists():
            (root / name).symlink_to(config.PROJECT_ROOT / name)
    (root / "data" / "demo").symlink_to(config.DEMO_DIR)
    return root


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"), "GUOZI_ROOT": str(root),
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _review(root: Path, inbox: Path, *extra: str) -> tuple[float, str]:
    """``guozi report --period 2022-11 --review --data <inbox> --entities G01 G02 [extra]`` in ``root``."""
    guozi = os.path.join(os.path.dirname(sys.executable), "guozi")
    started = time.perf_counter()
    done = subprocess.run([guozi, "report", "--period", PERIOD, "--review", "--data", str(inbox), "--engine", "builtin",
                           "--entities", *ENTITIES, *extra], cwd=root, env=_env(root), capture_output=True,
                          text=True, timeout=3600)
    seconds = time.perf_counter() - started
    # 3: published, but some enterprises of the generated district did not report (said in the text)
    assert done.returncode in (0, 3), done.stdout[-4000:] + done.stderr[-4000:]
    return seconds, done.stdout + done.stderr


def _stop(procs: list[subprocess.Popen]) -> None:
    """Stop each process group started here (a worker's nanny and its worker process with it)."""
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)


#: The intake store's ledger of received files: it records when this run received each file
#: (``received_on``/``received_at``), which two runs at different times rightly differ in.
LEDGER = "processed/submissions.parquet"
RECEIPT_TIME = ["received_on", "received_at"]


def _outputs(root: Path) -> dict[str, dict[str, str]]:
    """What the two runs must share byte for byte: the intake store (its ledger apart, see
    :func:`assert_same_outputs`), the shared results and the PDFs."""
    runs = sorted((root / "runs").glob(f"{PERIOD}/*/processed"))
    assert len(runs) == 1, runs
    return {"store": _tree(root / "data" / "processed" / "inboxes"),
            "shared": _tree(runs[0], "*.parquet"),
            "pdf": _tree(root / "reports" / "_build", "*.pdf")}


def assert_same_outputs(local_root: Path, cluster_root: Path) -> None:
    """The cluster's run wrote the local run's bytes: every file of the intake store but the ledger,
    every shared result (parquet) and every PDF; the ledger has the same rows and values but for
    the time each run received the files."""
    import pandas as pd

    local, remote = _outputs(local_root), _outputs(cluster_root)
    assert local["pdf"] and local["shared"] and local["store"]
    assert len([p for p in local["pdf"] if "/profiles/pdf/" in p]) == len(ENTITIES) + 1  # and the index
    ledgers = sorted(p for p in local["store"] if p.endswith(LEDGER))
    assert len(ledgers) == 1, ledgers
    for part in ("store", "shared", "pdf"):
        same = {k: v for k, v in local[part].items() if k not in ledgers}
        assert {k: v for k, v in remote[part].items() if k not in ledgers} == same, part
    inboxes = "data/processed/inboxes"
    a, b = (pd.read_parquet(root / inboxes / ledgers[0]) for root in (local_root, cluster_root))
    assert len(a) > ENTERPRISES  # a file per enterprise and month
    pd.testing.assert_frame_equal(a.drop(columns=RECEIPT_TIME), b.drop(columns=RECEIPT_TIME))


@pytest.mark.slow
def test_the_whole_review_runs_on_dask_workers_and_gives_the_same_bytes(tmp_path):
    from guozi_analysis.demo import generate_demo

    generate_demo(tmp_path / "district", enterprises=ENTERPRISES)
    inbox = tmp_path / "district" / "raw"
    local_seconds, _ = _review(_project(tmp_path / "local"), inbox)

    cluster_root = _project(tmp_path / "cluster")
    bin_dir = os.path.dirname(sys.executable)
    scheduler_file = tmp_path / "scheduler.json"
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    procs: list[subprocess.Popen] = []
    try:
        with open(tmp_path / "scheduler.log", "wb") as out:
            procs.append(subprocess.Popen(
                [os.path.join(bin_dir, "dask"), "scheduler", "--scheduler-file", str(scheduler_file), "--host",
                 "127.0.0.1", "--port", "0", "--no-dashboard"], cwd=cluster_root, env=_env(cluster_root),
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.time() + 120
        while not scheduler_file.exists() and time.time() < deadline:
            time.sleep(0.5)
        for log in logs:
            with open(log, "wb") as out:
                procs.append(subprocess.Popen(
                    [os.path.join(bin_dir, "dask"), "worker", "--scheduler-file", str(scheduler_file), "--nthreads",
                     "1", "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1"], cwd=cluster_root,
                    env=_env(cluster_root), stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        address = json.loads(scheduler_file.read_text("utf-8"))["address"]
        from distributed import Client

        with Client(address, timeout=120) as client:
            client.wait_for_workers(2, timeout=120)
        cluster_seconds, said = _review(cluster_root, inbox, "--scheduler", address)
    finally:
        _stop(procs)
    assert all(proc.poll() is not None for proc in procs)
    print(f"500 家企业的年度工作总结（画像 {len(ENTITIES)} 本）：本机 {local_seconds:.0f} 秒，"
          f"Dask 两个工作进程 {cluster_seconds:.0f} 秒")

    assert f"本次运行分发到 Dask 调度器 {address}" in said
    ran = "\n".join(log.read_text("utf-8", errors="replace") for log in logs)
    for stage in ("intake", "shared", "profile", "render"):
        assert f"guozi_analysis.tasks - INFO - {stage}: " in ran, stage
    # each worker did some of it (two workers, chunks spread over both)
    assert all("guozi_analysis.tasks" in log.read_text("utf-8", errors="replace") for log in logs)

    assert_same_outputs(tmp_path / "local", cluster_root)


def test_a_scheduler_without_workers_stops_the_run_with_a_reason(monkeypatch):
    from distributed import LocalCluster

    from guozi_analysis.running import runner

    monkeypatch.setattr(runner, "CLUSTER_WORKER_WAIT", 1)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster:
        with pytest.raises(runner.RunnerError, match="在 1 秒内没有可用的工作进程"):
            with runner.cluster_session(cluster.scheduler_address, log=lambda m: None):
                pass  # pragma: no cover - the session does not open


def test_one_session_for_the_whole_run(monkeypatch):
    """guozi report opens the session; the run inside reuses it (one client), and it logs where it goes."""
    from distributed import LocalCluster

    from guozi_analysis.running import runner

    said = []
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        with runner.cluster_session(cluster.scheduler_address, log=said.append) as outer:
            with runner.cluster_session(cluster.scheduler_address, log=said.append) as inner:
                assert inner is outer and current_cluster() is outer
        assert current_cluster() is None
    assert len(said) == 1 and f"本次运行分发到 Dask 调度器 {cluster.scheduler_address}（1 个工作进程）" in said[0]
    with runner.cluster_session(None, None) as none:
        assert none is None
