"""The one way the book's charts are made: Chinese font, 2× resolution, shown exactly once.

Every chart view creates its figure with :func:`new_figure` and returns :func:`finish_figure`'s
result. ``finish_figure`` closes the figure in pyplot: the notebook then shows it once, as the
cell's result, and the inline backend does not show it a second time at the end of the cell
(a figure left open was printed twice in HTML, PDF and JupyterLab).

The figure's own resolution is :data:`FIGURE_DPI` (200 dots per inch, about twice a screen's),
which IPython uses when it turns the returned figure into the PNG the book embeds.
"""

from __future__ import annotations

from guozi_analysis.base.fonts import use_cjk_font

__all__ = ["FIGURE_DPI", "new_figure", "finish_figure"]

#: Resolution of every chart (dots per inch): sharp on high-density screens and in print.
FIGURE_DPI = 200


def new_figure(*, figsize: tuple[float, float], ncols: int = 1, **subplot_kw):
    """A figure with ``ncols`` axes side by side, the Chinese font set and :data:`FIGURE_DPI`.

    Returns ``(fig, ax)`` as :func:`matplotlib.pyplot.subplots` does (``ax`` an array when ``ncols > 1``).
    """
    import matplotlib.pyplot as plt  # deferred: heavy dependency, loaded on first use

    try:
        use_cjk_font()
    except Exception:  # font package missing: draw anyway (the renderer warns about tofu)
        pass
    return plt.subplots(1, ncols, figsize=figsize, dpi=FIGURE_DPI, **subplot_kw)


def finish_figure(fig, *, layout: bool = True):
    """Lay the figure out, set :data:`FIGURE_DPI`, close it in pyplot and return it.

    The returned figure is shown once by the notebook (as the cell's result); being closed, it is
    not shown again by the inline backend.
    """
    import matplotlib.pyplot as plt  # deferred: heavy dependency, loaded on first use

    if layout:
        fig.tight_layout()
    fig.set_dpi(FIGURE_DPI)
    plt.close(fig)
    return fig
