"""Figures without pyplot: the library never touches matplotlib's global state.

``matplotlib.use("Agg")`` or pyplot's figure registry inside library functions would change
the backend and keep figures alive for a caller (a notebook, a GUI). A
:class:`matplotlib.figure.Figure` made directly draws with Agg when saved as PNG, needs no
backend and is freed like any object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def subplots(
    nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None, **kw: Any
) -> tuple[Figure, Any]:
    """``pyplot.subplots`` without pyplot: a new :class:`Figure` and its axes.

    Parameters
    ----------
    nrows, ncols
        Grid of axes.
    figsize
        Width and height in inches (matplotlib's default when None).
    **kw
        Passed to :meth:`Figure.subplots` (``squeeze``, ``sharex``, ``gridspec_kw`` …).

    Returns
    -------
    tuple
        The figure and its axes (as :meth:`Figure.subplots` returns them).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, **kw)
