"""Charts drawn server-side with matplotlib (Agg) for the PDF reports (the dashboard draws its bars in HTML).

Output is reproducible: no dates in the metadata, a fixed salt for SVG element ids.
"""

from __future__ import annotations

import io
import threading

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

matplotlib.rcParams["svg.hashsalt"] = "pilar-reporting"
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: the browser renders it and tests can read it
# pyplot keeps global state: one figure at a time across the worker's threads.
_LOCK = threading.Lock()


def bar_chart(title: str, labels: list[str], series: dict[str, list[int]], fmt: str = "png") -> bytes:
    """Grouped bars, one group per label; ``fmt`` is ``png`` or ``svg``."""
    with _LOCK:
        fig, ax = plt.subplots(figsize=(8, 3.6), dpi=100)
        try:
            count = max(len(series), 1)
            width = 0.8 / count
            for index, (name, values) in enumerate(series.items()):
                positions = [x + (index - (count - 1) / 2) * width for x in range(len(labels))]
                ax.bar(positions, values, width=width, label=name)
            ax.set_xticks(range(len(labels)))
            ax.set_xticklabels(
                labels, rotation=30 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center"
            )
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 of a session
            ax.set_title(title)
            if len(series) > 1:
                ax.legend()
            fig.tight_layout()
            out = io.BytesIO()
            metadata = {"Date": None} if fmt == "svg" else {"Software": None}
            fig.savefig(out, format=fmt, metadata=metadata)
            return out.getvalue()
        finally:
            plt.close(fig)
