# guozi-analysis — `make help` lists the targets.
# Everything runs inside .venv, created on first use from pyproject.toml (PyPI only, no root, no apt).

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_STAMP := $(VENV)/.lab-installed
KERNEL := guozi-analysis
PERIOD ?= 2022-11
JOBS ?= 2
# One BLAS thread per process: on 2 cores, threaded BLAS inside statsmodels fits runs 10-100x slower.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.DEFAULT_GOAL := help
.PHONY: help env report run render test test-fast demo lab bench catalogue clean

help: ## 列出全部命令
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

# The steps themselves are in scripts/setup.py (Python only: the same commands without make or bash).
$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "未找到 Python 3.11，请先安装 Python 3.11"; exit 1; }
	$(PYTHON) scripts/setup.py env --venv $(VENV)
	@touch $(STAMP)

env: $(STAMP) ## 创建 .venv，安装本项目、注册 Jupyter 内核 guozi-analysis，并设置提交时清除 notebooks/ 的输出

report: $(STAMP) ## 运行全部分析并出版年度工作总结（HTML + PDF + Word 稿，在 reports/_build/review/<期间>/；期间默认 2022-11，可用 PERIOD=… 指定）
	$(BIN)/guozi report --period $(PERIOD) --review --jobs $(JOBS)

run: $(STAMP) ## 只执行本期分析笔记本（papermill），不渲染
	$(BIN)/guozi run --period $(PERIOD) --jobs $(JOBS)

render: $(STAMP) ## 只把已执行的笔记本渲染成书（有 Quarto 用 Quarto，否则用内置渲染器）
	$(BIN)/guozi render

test: $(STAMP) ## 运行全部测试
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## 跳过端到端（执行笔记本、渲染）测试
	$(BIN)/python -m pytest -m "not slow"

demo: $(STAMP) ## 重新生成示范区数据 data/demo/（确定性，逐字节相同）
	$(BIN)/guozi demo

catalogue: $(STAMP) ## 以 CSV 打印指标目录
	$(BIN)/guozi catalogue

$(LAB_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,lab]'
	@touch $(LAB_STAMP)

# JupyterLab with the project's jupyter_server_config.py: saving a notebook under notebooks/ strips its
# outputs (the copy with outputs goes to lab/); offline (no news feed, no update check); as root it adds
# --allow-root and says so (scripts/setup.py lab).
lab: $(LAB_STAMP) ## 在项目内核上打开 JupyterLab（示范数据已就绪；保存时清除 notebooks/ 的输出，含输出的副本存 lab/）
	$(BIN)/python scripts/setup.py lab --venv $(VENV) --period $(PERIOD) --jobs $(JOBS)

bench: $(STAMP) ## 运行基准脚本（打印与同次运行基线的比值）
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean: ## 删除可重建的产物（保留原始数据）
	rm -rf reports/_build reports/review reports/monthly reports/quarterly reports/half-month reports/executed data/processed .pytest_cache
