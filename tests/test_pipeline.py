"""The period runner: jobs, failure isolation, publication swap, reuse of unchanged runs."""

import json
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from guozi_analysis.running import runner as pipeline

PARAMS = 'period = "2022-11"  # 期间\nentity_id = "DISTRICT"  # 对象\nprocessed_dir = ""  # 目录\noutput_dir = ""  # 输出'


def _notebook(path: Path, body: str) -> None:
    nb = new_notebook()
    params = new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# 测试"), params, new_code_cell(body)]
    nbformat.write(nb, path)


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _notebook(nbs / "01_ok.ipynb", "print('本期', period)")
    _notebook(nbs / pipeline.PROFILE_NOTEBOOK,
              "assert entity_id != 'G02', '企业 G02 的数据损坏'\nprint(entity_id)")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.csv").write_text("x\n1\n", "utf-8")

    def fake_shared(period, *, raw_dir, processed_dir, profiles=True, log=print):
        processed_dir.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"x": [1]}).to_parquet(processed_dir / "indicators.parquet")
        pd.DataFrame({"enterprise_id": ["G01", "G01-01", "G02"], "level": [1, 2, 1]}).to_parquet(
            processed_dir / "table_roster.parquet")
        return {}

    monkeypatch.setattr(pipeline, "compute_shared", fake_shared)
    return {"notebooks_dir": nbs, "raw_dir": raw, "runs_dir": tmp_path / "runs",
            "publish_to": tmp_path / "reports" / "executed"}


def test_plan_jobs_one_profile_per_entity(tmp_path, workspace):
    jobs = pipeline.plan_jobs("2022-11", ["G01", "G02"], run_dir=tmp_path / "r", processed_dir=tmp_path / "p",
                              notebooks_dir=workspace["notebooks_dir"])
    assert [j.label for j in jobs] == ["01_ok.ipynb", "profile_G01", "profile_G02"]
    assert jobs[2].parameters["entity_id"] == "G02"
    assert jobs[0].parameters["entity_id"] == "DISTRICT"
    assert Path(jobs[0].parameters["processed_dir"]).is_absolute()


def test_failure_keeps_previous_publication(workspace):
    logs = []
    ok = pipeline.run_period("2022-11", entities=["G01"], jobs=2, log=logs.append, **workspace)
    assert ok.ok and ok.published
    published = workspace["publish_to"]
    assert (published / "profiles" / "profile_G01.ipynb").exists()
    before = (published / "manifest.json").read_text("utf-8")

    bad = pipeline.run_period("2022-11", entities=["G01", "G02"], jobs=2, log=logs.append, **workspace)
    assert not bad.ok and not bad.published
    failed = [r for r in bad.results if r.status != "成功"]
    assert [r.label for r in failed] == ["profile_G02"]
    assert failed[0].failed_cell == 2  # the cell after the injected parameters cell
    assert "G02 的数据损坏" in failed[0].error
    assert "profile_G02" in bad.table()
    # the other notebooks completed and the failing one kept its partial output
    assert all(Path(r.output).exists() for r in bad.results)
    partial = json.loads(Path(failed[0].output).read_text("utf-8"))
    assert any(o.get("output_type") == "error" for c in partial["cells"] for o in c.get("outputs", []))
    # the last good publication is untouched
    assert (published / "manifest.json").read_text("utf-8") == before
    assert not (published / "profiles" / "profile_G02.ipynb").exists()


def test_profiles_of_one_batch_share_a_kernel_and_fail_alone(workspace):
    """One batch (one kernel): G02 fails in the middle, G01-01 after it still runs; each output keeps its
    injected parameters; names a notebook defined do not leak into the next; the timing is recorded."""
    nbs = workspace["notebooks_dir"]
    _notebook(nbs / pipeline.PROFILE_NOTEBOOK,
              "assert 'leftover' not in globals(), '上一本的变量未清除'\nleftover = entity_id\n"
              "assert entity_id != 'G02', '企业 G02 的数据损坏'\nprint(entity_id)")
    units = pipeline.plan_units(pipeline.plan_jobs("2022-11", ["G01", "G02", "G01-01"], run_dir=Path("r"),
                                                   processed_dir=Path("p"), notebooks_dir=nbs), slots=1)
    assert [[j.label for j in u] for u in units] == [["profile_G01", "profile_G02", "profile_G01-01"], ["01_ok.ipynb"]]
    summary = pipeline.run_period("2022-11", entities=["G01", "G02", "G01-01"], jobs=1, log=lambda m: None,
                                  **workspace)
    status = {r.label: (r.status, r.failed_cell) for r in summary.results}
    assert status == {"01_ok.ipynb": ("成功", None), "profile_G01": ("成功", None), "profile_G02": ("失败", 2),
                      "profile_G01-01": ("成功", None)}
    assert "G02 的数据损坏" in next(r.error for r in summary.results if r.label == "profile_G02")
    for r in summary.results[1:]:
        nb = json.loads(Path(r.output).read_text("utf-8"))
        injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
        assert len(injected) == 1 and r.label.removeprefix("profile_") in "".join(injected[0]["source"])
    manifest = json.loads((summary.run_dir / "manifest.json").read_text("utf-8"))
    timing = manifest["profile_timing"]
    assert timing["profiles"] == 2 and timing["batches"] == 1 and timing["empty_notebook"] > 0


def test_unchanged_rerun_is_reused(workspace):
    first = pipeline.run_period("2022-11", entities=["G01"], log=lambda m: None, **workspace)
    assert first.ok
    again = pipeline.run_period("2022-11", entities=["G01"], log=lambda m: None, **workspace)
    assert again.reused and again.results == []
    forced = pipeline.run_period("2022-11", entities=["G01"], force=True, log=lambda m: None, **workspace)
    assert not forced.reused and forced.ok


def test_a_second_run_at_the_same_time_stops_at_once(workspace):
    from filelock import FileLock

    workspace["runs_dir"].mkdir(parents=True)
    with FileLock(str(workspace["runs_dir"] / ".guozi-run.lock")):
        with pytest.raises(pipeline.RunLocked, match="另一个 guozi run 正在运行"):
            pipeline.run_period("2022-11", entities=["G01"], log=lambda m: None, **workspace)
    assert not workspace["publish_to"].exists()


def test_period_parameters_file_is_overridden_by_the_command_line(tmp_path, monkeypatch):
    from guozi_analysis.base import config
    from guozi_analysis.running import cli

    (tmp_path / "periods").mkdir()
    (tmp_path / "periods" / "2022-11.yaml").write_text("run:\n  jobs: 1\n  entities: [G01]\n", "utf-8")
    monkeypatch.setattr(config, "PARAMS_DIR", tmp_path)
    args = cli.build_parser().parse_args(["run", "--period", "2022-11", "--jobs", "3"])
    opts = cli.period_options(args)
    assert opts["jobs"] == 3 and opts["entities"] == ["G01"]


def test_bad_period_fails_before_any_work(workspace):
    with pytest.raises(ValueError, match="期间"):
        pipeline.run_period("2022-13", log=lambda m: None, **workspace)
    assert not workspace["runs_dir"].exists()


def test_half_month_run_executes_only_the_ranking_workbook_and_its_bulletin(tmp_path, workspace):
    _notebook(workspace["notebooks_dir"] / "60_half_month_ranking.ipynb", "print(period)")
    jobs = pipeline.plan_jobs("2022-11-H2", ["G01"], run_dir=tmp_path / "r", processed_dir=tmp_path / "p",
                              notebooks_dir=workspace["notebooks_dir"])
    assert [j.label for j in jobs] == ["60_half_month_ranking.ipynb", "half_month.ipynb"]
    assert jobs[0].parameters["output_dir"] == str(tmp_path / "r" / "executed" / "outputs")
    assert pipeline.default_publication("2022-11-H2").parts[-2:] == ("half-month", "2022-11-H2")


@pytest.mark.parametrize("label, review, kind, notebooks, folder", [
    ("2022-10", False, "monthly", ["monthly.ipynb"], ("monthly", "2022-10")),
    ("2022-Q3", False, "quarterly", ["quarterly.ipynb"], ("quarterly", "2022-Q3")),
    ("2022-11", True, "review", None, ("review", "2022-11")),
])
def test_each_publication_runs_its_own_notebooks_into_its_own_folder(tmp_path, workspace, label, review, kind,
                                                                     notebooks, folder):
    assert pipeline.publication_kind(label, review=review) == kind
    jobs = pipeline.plan_jobs(label, ["G01"], run_dir=tmp_path / "r", processed_dir=tmp_path / "p",
                              notebooks_dir=workspace["notebooks_dir"], publication=kind)
    if notebooks is not None:
        assert [j.label for j in jobs] == notebooks
        assert {j.parameters["period"] for j in jobs} == {"2022-09" if kind == "quarterly" else label}
    else:
        assert "profile_G01" in [j.label for j in jobs]
    assert pipeline.default_publication(label, kind).parts[-2:] == folder


def test_unknown_entity_stops_before_any_notebook(workspace, monkeypatch):
    started = []
    monkeypatch.setattr(pipeline, "execute_job", lambda job, **kw: started.append(job.label))
    with pytest.raises(pipeline.UnknownEntity, match="企业名录中没有编号 G99，未执行任何笔记本。集团编号有：G01、G02"):
        pipeline.run_period("2022-11", entities=["G01", "G99"], log=lambda m: None, **workspace)
    assert started == []
    assert not workspace["publish_to"].exists()


def test_unknown_entity_message_suggests_close_codes():
    roster = ["G01", "G01-01", "G02", "G03"]
    pipeline.check_entities(["G01", "G01-01"], roster)  # known codes pass
    pipeline.check_entities(None, roster)
    with pytest.raises(ValueError) as info:
        pipeline.check_entities(["g01-01", "G02"], roster)
    assert str(info.value) == "企业名录中没有编号 g01-01，未执行任何笔记本。「g01-01」是不是 G01-01？"
    with pytest.raises(ValueError) as info:
        pipeline.check_entities(["G99", "G0-3"], roster)
    assert str(info.value) == ("企业名录中没有编号 G99、G0-3，未执行任何笔记本。「G0-3」是不是 G03、G01-01？"
                               "集团编号有：G01、G02、G03。")


def _job(tmp_path):
    template = tmp_path / "01_ok.ipynb"
    _notebook(template, "print(1)")
    return pipeline.NotebookJob("01_ok.ipynb", template, tmp_path / "out" / "01_ok.ipynb", {"period": "2022-11"})


class FakeLaunch:
    """Stands in for the notebook subprocess: answers with the given (exit code, stderr) in turn."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.specs = []

    def __call__(self, spec, timeout):
        self.specs.append(spec)
        code, stderr = self.answers.pop(0)
        return subprocess.CompletedProcess(["notebook"], code, "", stderr)


KERNEL_SLOW = (1, "Traceback (most recent call last):\nRuntimeError: Kernel didn't respond in 60 seconds\n")


def test_slow_kernel_start_is_retried_once(tmp_path):
    launch = FakeLaunch(KERNEL_SLOW, (0, ""))
    result = pipeline.execute_job(_job(tmp_path), start_timeout=60, launch=launch)
    assert (result.status, result.attempts, result.error) == ("成功", 2, "")
    assert len(launch.specs) == 2 and launch.specs[0]["start_timeout"] == 60


def test_kernel_that_never_starts_fails_after_one_retry_with_a_chinese_reason(tmp_path):
    launch = FakeLaunch((pipeline.KERNEL_START_EXIT, "内核启动超时（45 秒）"), KERNEL_SLOW, (0, ""))
    result = pipeline.execute_job(_job(tmp_path), start_timeout=45, launch=launch)
    assert (result.status, result.attempts) == ("失败", 2)
    assert result.error.startswith("内核启动超时：45 秒内没有响应，重试一次仍未启动")
    assert len(launch.answers) == 1  # the third answer was never asked for


def test_a_notebook_error_is_not_retried(tmp_path):
    launch = FakeLaunch((1, "Traceback\nZeroDivisionError: division by zero\n"), (0, ""))
    result = pipeline.execute_job(_job(tmp_path), launch=launch)
    assert (result.status, result.attempts, result.error) == ("失败", 1, "ZeroDivisionError: division by zero")
    assert len(launch.specs) == 1


def _raised_in(name: str, exc: Exception) -> Exception:
    """``exc`` as raised inside a function called ``name`` (its traceback holds that frame, as jupyter_client's)."""

    def raiser():
        raise exc

    raiser.__code__ = raiser.__code__.replace(co_name=name)
    try:
        raiser()
    except Exception as caught:  # noqa: BLE001 - the test's own exception
        return caught


def test_kernel_start_timeouts_are_told_from_cell_timeouts():
    from nbclient.exceptions import CellTimeoutError

    assert pipeline.is_kernel_start_timeout(RuntimeError("Kernel didn't respond in 60 seconds"))
    assert pipeline.is_kernel_start_timeout(_raised_in("wait_for_ready", TimeoutError("Timeout waiting for reply")))
    assert not pipeline.is_kernel_start_timeout(_raised_in("run_cell", TimeoutError("Timeout waiting for reply")))
    assert not pipeline.is_kernel_start_timeout(CellTimeoutError("A cell timed out while it was being executed"))
    assert not pipeline.is_kernel_start_timeout(RuntimeError("Kernel died before replying to kernel_info"))


def test_a_kernel_that_dies_before_it_answers_is_a_start_failure_and_a_cell_error_is_not():
    died = "Kernel died before replying to kernel_info"  # jupyter_client, when the kernel process exits first
    assert pipeline.is_kernel_start_failure(_raised_in("wait_for_ready", RuntimeError(died)))
    assert not pipeline.is_kernel_start_timeout(_raised_in("wait_for_ready", RuntimeError(died)))
    assert pipeline.is_kernel_start_failure(RuntimeError("Kernel didn't respond in 60 seconds"))
    assert not pipeline.is_kernel_start_failure(_raised_in("run_cell", RuntimeError(died)))
    # a kernel that cannot start at all is not a passing failure: it is reported at once, not retried
    assert not pipeline.is_kernel_start_failure(_raised_in("start_kernel", FileNotFoundError("python3")))
    assert not pipeline.is_kernel_start_failure(ValueError("单元格出错"))


def test_a_notebook_whose_kernel_died_at_start_is_tried_again_and_then_said_so(tmp_path):
    died = (pipeline.KERNEL_START_EXIT, "内核启动失败：Kernel died before replying to kernel_info\n")
    launch = FakeLaunch(died, (0, ""))
    result = pipeline.execute_job(_job(tmp_path), launch=launch)
    assert (result.status, result.attempts) == ("成功", 2)
    launch = FakeLaunch(died, died)
    result = pipeline.execute_job(_job(tmp_path), launch=launch)
    assert (result.status, result.attempts) == ("失败", 2)
    assert result.error == ("内核启动失败：Kernel died before replying to kernel_info；"
                            "重试一次仍未启动（机器负载过高或端口冲突时可再运行一次）")


def test_notebook_subprocess_exits_with_the_retry_code_when_the_kernel_is_slow(monkeypatch, tmp_path):
    import papermill

    calls = []

    def slow_kernel(*args, **kwargs):
        calls.append(kwargs)
        raise RuntimeError("Kernel didn't respond in 5 seconds")

    monkeypatch.setattr(papermill, "execute_notebook", slow_kernel)
    spec = {"template": "t.ipynb", "output": str(tmp_path / "o.ipynb"), "parameters": {}, "kernel": "python3",
            "cell_timeout": 600, "start_timeout": 5, "cwd": str(tmp_path)}
    assert pipeline._run_one(spec) == pipeline.KERNEL_START_EXIT
    assert calls[0]["start_timeout"] == 5

    def cell_fails(*args, **kwargs):
        raise ValueError("单元格出错")

    monkeypatch.setattr(papermill, "execute_notebook", cell_fails)
    with pytest.raises(ValueError, match="单元格出错"):
        pipeline._run_one(spec)

    def wait_for_ready(*args, **kwargs):  # the kernel process exited before it answered
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(papermill, "execute_notebook", wait_for_ready)
    assert pipeline._run_one(spec) == pipeline.KERNEL_START_EXIT


# ------------------------------------------------------------------------------------------------
# where each period's publications live (issue 25): one layout, per period, per inbox, swapped whole
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def reports(tmp_path, monkeypatch):
    from guozi_analysis.base import config

    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setattr(config, "BUILD_DIR", tmp_path / "reports" / "_build")
    return tmp_path / "reports"


def test_every_publication_has_one_place_per_period_and_inbox(reports, tmp_path):
    from guozi_analysis.intake.inbox import default_inbox

    review = pipeline.publication_place("2022-11", "review")
    assert (review.executed, review.build) == (reports / "review" / "2022-11", reports / "_build" / "review" / "2022-11")
    assert (review.html, review.public) == (review.build / "html", review.build / "public")
    december = pipeline.publication_place("2022-12", "review")
    assert december.build != review.build and december.build.parent == review.build.parent
    monthly = pipeline.publication_place("2022-10", "monthly")
    assert monthly.html == monthly.build == reports / "_build" / "monthly" / "2022-10"
    assert pipeline.publication_place("2022-Q3").build == reports / "_build" / "quarterly" / "2022-Q3"
    assert pipeline.publication_place("2022-11-H2").executed == reports / "half-month" / "2022-11-H2"
    # the district's own inbox, named or not, is the plain label; another inbox publishes beside it
    assert pipeline.publication_place("2022-11", "review", raw_dir=default_inbox()) == review
    other = tmp_path / "县里的收件目录"
    other.mkdir()
    beside = pipeline.publication_place("2022-11", "review", raw_dir=other)
    assert beside.label == "2022-11@县里的收件目录"
    assert beside.build == reports / "_build" / "review" / "2022-11@县里的收件目录"
    assert beside.executed == reports / "review" / "2022-11@县里的收件目录"
    assert pipeline.default_publication("2022-11", "review", raw_dir=other) == beside.executed


def _executed_review(place, period: str) -> None:
    """An executed review (one chapter, one profile, a run manifest) for :func:`render_review`."""
    place.executed.mkdir(parents=True)
    _notebook(place.executed / "01_review_2022.ipynb", "print(1)")
    (place.executed / "profiles").mkdir()
    _notebook(place.executed / "profiles" / "profile_G01.ipynb", "print(1)")
    (place.executed / "manifest.json").write_text(json.dumps({"period": period, "inputs": {}}), "utf-8")


def _fake_renderers(monkeypatch, *, fail_at: str | None = None):
    """Book, public edition and profiles volume as small files naming their period; ``fail_at`` raises
    there (after the book was written, as in the issue: the profiles volume failed)."""
    from guozi_analysis.publishing.render import RenderError, RenderResult

    def render(project_dir, *, engine, edition, output_dir, extra_search=None):
        import re

        # the 前言 says the data's date ("数据截至2022年11月30日"); the period is its year and month
        year, month = re.search(r"数据截至(\d{4})年(\d{1,2})月", (Path(project_dir) / "index.md").read_text("utf-8")).groups()
        period = f"{year}-{int(month):02d}"
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "index.html").write_text(f"{edition} {period}", "utf-8")
        if fail_at == edition:
            raise RenderError(f"{edition} 渲染失败")
        return RenderResult("builtin", {"html": output_dir / "index.html"})

    def build_volume(executed, *, out_dir, jobs):
        if fail_at == "profiles":
            raise RenderError("Typst 编译失败（profile_G01.ipynb）：unexpected comma")
        out_dir.mkdir(parents=True)
        manifest = json.loads((executed / "manifest.json").read_text("utf-8"))
        (out_dir / "index.html").write_text(f"profiles {manifest['period']}", "utf-8")
        return out_dir / "index.html"

    monkeypatch.setattr(pipeline, "render", render)
    monkeypatch.setattr(pipeline, "build_volume", build_volume)
    monkeypatch.setattr(pipeline, "search_entries", lambda executed, folder: [{"p": f"{folder}/G01.html"}])


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_later_period_publishes_beside_and_a_failed_render_changes_nothing(reports, monkeypatch):
    _fake_renderers(monkeypatch)
    november, december = pipeline.publication_place("2022-11", "review"), pipeline.publication_place("2022-12", "review")
    _executed_review(november, "2022-11")
    pipeline.render_review(november, reports_dir=reports)
    published = _tree(november.build)
    assert published == {"html/index.html": b"internal 2022-11", "html/profiles/index.html": b"profiles 2022-11",
                         "public/index.html": b"public 2022-11"}
    # December fails at the profiles volume after its book was written: nothing of it is published,
    # November is untouched to the byte (book and profiles together) and no staging folder is left
    _executed_review(december, "2022-12")
    _fake_renderers(monkeypatch, fail_at="profiles")
    with pytest.raises(Exception, match="unexpected comma"):
        pipeline.render_review(december, reports_dir=reports)
    assert _tree(november.build) == published
    assert not december.build.exists()
    assert sorted(p.name for p in november.build.parent.iterdir()) == ["2022-11"]
    # a failing re-render of November itself (public edition) leaves November as it was too
    _fake_renderers(monkeypatch, fail_at="public")
    with pytest.raises(Exception, match="public 渲染失败"):
        pipeline.render_review(november, reports_dir=reports)
    assert _tree(november.build) == published
    # December, once it renders, sits beside November, which still reads November
    _fake_renderers(monkeypatch)
    pipeline.render_review(december, reports_dir=reports)
    assert sorted(p.name for p in november.build.parent.iterdir()) == ["2022-11", "2022-12"]
    assert _tree(december.build) == {"html/index.html": b"internal 2022-12", "html/profiles/index.html": b"profiles 2022-12",
                                     "public/index.html": b"public 2022-12"}
    assert _tree(november.build) == published
    # one edition asked for: the other is carried over from the earlier publication of the period
    pipeline.render_review(december, reports_dir=reports, editions=("public",))
    assert _tree(december.build)["html/index.html"] == b"internal 2022-12"


def test_the_latest_review_is_the_last_one_run_on_the_districts_inbox(reports):
    assert pipeline.latest_review() is None
    for label, finished in (("2022-11", "2022-12-09T06:00:00"), ("2022-12", "2023-01-09T06:00:00"),
                            ("2022-12@县里的收件目录", "2023-02-01T00:00:00")):
        folder = reports / "review" / label
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(json.dumps({"finished": finished}), "utf-8")
    assert pipeline.latest_review() == pipeline.publication_place("2022-12", "review")


def test_a_run_on_another_inbox_publishes_beside_the_districts_own(workspace, reports, monkeypatch):
    from guozi_analysis.base import config

    monkeypatch.setattr(config, "PROCESSED_DIR", reports.parent / "processed")  # JupyterLab's shared results
    options = {k: v for k, v in workspace.items() if k != "publish_to"}
    summary = pipeline.run_period("2022-11", entities=["G01"], jobs=2, log=lambda m: None, **options)
    assert summary.published
    # workspace["raw_dir"] is a folder named "raw" that is not params/district.yaml's inbox
    assert (reports / "review" / "2022-11@raw" / "manifest.json").exists()
    assert not (reports / "review" / "2022-11").exists()
    assert not config.shared_dir("2022-11").exists()  # the district's own shared results are not replaced either


def test_log_has_one_timed_line_per_unit_and_each_notebook_once(workspace):
    """issue 28: without a terminal, one line per unit of work as it finishes, with the clock time and how long
    it took — a district notebook by name, a batch of profiles as one line — and no notebook listed twice."""
    import re

    logs = []
    summary = pipeline.run_period("2022-11", entities=["G01", "G01-01"], jobs=2, log=logs.append, **workspace)
    assert summary.ok, summary.table()
    assert all(re.match(r"\d\d:\d\d:\d\d ", line) for line in logs), logs
    assert not [line for line in logs if re.search(r"\d\d:\d\d:\d\d.*\d\d:\d\d:\d\d", line)], logs  # one clock time a line
    # 2 profiles on 2 slots: 2 batches of 1 (plan_units), plus 01_ok.ipynb on its own
    units = [line for line in logs if "用时" in line]
    assert len(units) == 3, logs
    assert sum("笔记本 01_ok.ipynb：成功（用时 " in line for line in units) == 1
    assert sorted(re.sub(r".*(企业画像第 \d/2 批（1 本）：成功 1 本).*", r"\1", line) for line in units
                  if "企业画像第" in line) == ["企业画像第 1/2 批（1 本）：成功 1 本", "企业画像第 2/2 批（1 本）：成功 1 本"]
    for label in ("01_ok.ipynb", "profile_G01", "profile_G01-01"):
        assert sum(label in line for line in logs) <= 1, (label, logs)


def test_units_are_reported_as_they_finish_and_results_kept_in_plan_order(monkeypatch, tmp_path):
    """The progress of a unit that finishes early is not held back by a slower unit planned before it."""
    import threading

    jobs = [pipeline.NotebookJob(label, Path(f"{label}.ipynb"), tmp_path / label, {}) for label in ("a", "b")]
    release = threading.Event()

    def execute(unit, **options):
        if unit[0].label == "a":
            assert release.wait(10)  # "a" finishes only after "b" has been reported
        return [pipeline.JobResult(unit[0].label, "", "成功", 1.0)]

    monkeypatch.setattr(pipeline, "_execute_unit", execute)
    reported = []

    def on_unit(unit, results):
        reported.append(unit[0].label)
        release.set()

    results = list(pipeline.run_in_threads(jobs, jobs=2, units=[[jobs[0]], [jobs[1]]], on_unit=on_unit))
    assert reported == ["b", "a"]
    assert [r.label for r in results] == ["a", "b"]


def test_progress_line_names_the_failed_profiles_of_a_batch(tmp_path):
    profile = Path(pipeline.PROFILE_NOTEBOOK)
    unit = [pipeline.NotebookJob(f"profile_{e}", profile, tmp_path / e, {}) for e in ("G01", "G02", "G03")]
    lines = []
    step = pipeline.unit_progress([unit], lines.append, terminal=False)
    step(unit, [pipeline.JobResult("profile_G01", "", "成功", 2.0), pipeline.JobResult("profile_G02", "", "失败", 1.5),
                pipeline.JobResult("profile_G03", "", "成功", 0.5)])
    assert len(lines) == 1
    # 2.0 + 1.5 + 0.5 = 4.0 seconds on the batch's kernel
    assert lines[0][9:] == "企业画像第 1/1 批（3 本）：成功 2 本，未成功 1 本：profile_G02（用时 4.0 秒）"
