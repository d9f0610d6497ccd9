# JupyterLab for this project (`make lab` and `python scripts/setup.py lab` pass it with --config):
# saving a notebook under notebooks/ strips its outputs (the copy with outputs goes to lab/, not committed);
# see guozi_analysis.running.notebooks.
c = get_config()  # noqa: F821 - provided by Jupyter when it loads this file
c.ContentsManager.pre_save_hook = "guozi_analysis.running.notebooks.pre_save_hook"
