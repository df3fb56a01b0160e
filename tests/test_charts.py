"""Drawing the stats chart: a real PNG of the size asked for, with something on it, drawn off the event loop and one
at a time."""

from __future__ import annotations

import asyncio
import io
import struct
import threading

from PIL import Image

from bot.core.chart import Cell, GridChart
from bot.services.charts import ChartRenderer, draw_grid_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WEEKS = ("5 Oct", "12 Oct", "19 Oct", "26 Oct", "2 Nov", "9 Nov", "16 Nov", "This week")


def chart(rows: int = 3, height: int = 400, label: str = "Mechanism") -> GridChart:
    cells = tuple(
        tuple(None if (r + c) % 3 == 0 else Cell(value=100 * c / 7, text=f"{100 * c / 7:.0f}%", note=f"{c} of 7")
              for c in range(len(WEEKS)))
        for r in range(rows)
    )  # fmt: skip
    return GridChart(
        title="Accuracy per topic, last 8 weeks",
        row_labels=tuple(f"{label} {r}" for r in range(rows)),
        column_labels=WEEKS,
        cells=cells,
        column_title="Week starting Monday (UTC)",
        scale_title="Right answers",
        scale_suffix="%",
        height_px=height,
    )


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's header chunk (IHDR, first after the signature)."""
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_chart_is_a_png_of_the_size_asked_for_with_a_picture_on_it() -> None:
    data = draw_grid_chart(chart())
    assert png_size(data) == (800, 400)
    image = Image.open(io.BytesIO(data)).convert("RGB")  # decodes every pixel: a broken PNG raises here
    assert image.size == (800, 400)
    found = image.getcolors(maxcolors=800 * 400)  # (pixels, colour) for every colour used
    assert found is not None
    colours = [(n, tuple(colour)) for n, colour in found if isinstance(colour, tuple)]
    assert len(colours) == len(found), "RGB: each colour a tuple"
    white = sum(n for n, colour in colours if colour == (255, 255, 255))
    assert white < 800 * 400 * 3 // 4, "the grid fills much of the picture"
    assert len(colours) > 100, "many colours: cells along the scale, text, its antialiased edges"
    reds = sum(n for n, (r, g, b) in colours if r > 150 and g < 80 and b < 80)
    blues = sum(n for n, (r, g, b) in colours if b > 120 and r < 80)
    assert reds > 500 and blues > 500, "0% cells are red and 100% cells blue on the colour scale"


def test_a_short_chart_keeps_its_height_and_odd_labels_draw_as_written() -> None:
    data = draw_grid_chart(chart(rows=1, height=200, label="Cost in $ and $x$"))
    assert png_size(data) == (800, 200)


async def test_charts_are_drawn_off_the_event_loop() -> None:
    """The drawer waits until a coroutine on the loop lets it go: were it run on the loop, it would wait forever
    (up to its own time limit) and the render would fail."""
    loop_thread = threading.get_ident()
    started, release = threading.Event(), threading.Event()
    threads: list[int] = []

    def drawer(_: GridChart) -> bytes:
        threads.append(threading.get_ident())
        started.set()
        assert release.wait(10), "the event loop did not run while the chart was drawn"
        return b"png"

    async def let_go() -> None:
        await asyncio.to_thread(started.wait, 10)
        release.set()  # from the loop: only possible while the drawer is not holding it

    drawn, _ = await asyncio.gather(ChartRenderer(drawer).render(chart()), let_go())
    assert drawn == b"png" and threads and threads[0] != loop_thread


async def test_charts_are_drawn_one_at_a_time() -> None:
    guard = threading.Lock()
    drawing: list[int] = []
    most_at_once = 0

    def drawer(given: GridChart) -> bytes:
        nonlocal most_at_once
        with guard:
            drawing.append(1)
            most_at_once = max(most_at_once, len(drawing))
        threading.Event().wait(0.02)  # long enough for another render to start, were it allowed to
        with guard:
            drawing.pop()
        return given.row_labels[0].encode()

    renderer = ChartRenderer(drawer)
    results = await asyncio.gather(*(renderer.render(chart(label=f"c{i}")) for i in range(4)))
    assert results == [f"c{i} 0".encode() for i in range(4)]
    assert most_at_once == 1
