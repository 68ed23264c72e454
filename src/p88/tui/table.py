"""``LiveTable``: a read-only table that draws only the rows on screen.

Textual's ``DataTable`` renders and measures every cell of every row it is given, which
for 5,000 standings costs most of a second per refresh and stalls the whole app. Here a
refresh is one list assignment; ``render_line`` (the Line API) formats just the visible
rows, with fixed column widths, so the cost of a frame does not grow with the race.
Cells are plain text, never markup: a tag or a name from the database shows as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Column = tuple[str, str, int]  # label, key, width in cells
Row = tuple[str, ...]


class LiveTable(ScrollView, can_focus=True):
    """Rows of text under a fixed header; a row cursor moved by keys, clicks and the wheel.

    Rows are given as any objects and turned into cells by ``format_row`` only when they
    are drawn, so 5,000 standings cost the formatting of the 30 on screen."""

    COMPONENT_CLASSES = {"live-table--header", "live-table--cursor", "live-table--odd"}
    DEFAULT_CSS = """
    LiveTable {
        background: $surface;
    }
    LiveTable > .live-table--header {
        color: $text;
        background: $panel;
        text-style: bold;
    }
    LiveTable > .live-table--odd {
        background: $boost;
    }
    LiveTable > .live-table--cursor {
        background: $accent 35%;
    }
    LiveTable:focus > .live-table--cursor {
        background: $accent 70%;
    }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "move(-1000000000)", "First", show=False),
        Binding("end", "move(1000000000)", "Last", show=False),
    ]

    cursor_row: reactive[int] = reactive(0)

    def __init__(
        self,
        columns: Sequence[Column],
        format_row: Callable[[Any], Row] = tuple,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.columns = tuple(columns)
        self.format_row = format_row
        self._widths = tuple(width for _, _, width in columns)
        self._line_width = sum(width + 2 for width in self._widths)
        self._rows: Sequence[Any] = ()
        self.virtual_size = Size(self._line_width, 1)

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def get_row_at(self, index: int) -> Row:
        return self.format_row(self._rows[index])

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Replace every row (the cursor keeps its line number)."""
        self._rows = rows
        self.virtual_size = Size(self._line_width, len(rows) + 1)
        self.cursor_row = max(0, min(self.cursor_row, len(rows) - 1))
        self.refresh()

    def _strip(self, cells: Sequence[str], style: Style) -> Strip:
        pairs = zip(cells, self._widths, strict=True)
        text = "".join(f" {set_cell_size(cell, width)} " for cell, width in pairs)
        return Strip([Segment(text, style)], self._line_width)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("live-table--header")
            strip = self._strip([label for label, _, _ in self.columns], style)
        else:
            index = scroll_y + y - 1
            if index >= len(self._rows):
                return Strip.blank(width, base)
            style = base
            if index % 2:
                style += self.get_component_rich_style("live-table--odd")
            if index == self.cursor_row:
                style += self.get_component_rich_style("live-table--cursor")
            strip = self._strip(self.format_row(self._rows[index]), style)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def watch_cursor_row(self) -> None:
        visible = max(1, self.size.height - 1)
        top = round(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)
        self.refresh()

    def action_move(self, delta: int) -> None:
        self.cursor_row = max(0, min(self.cursor_row + delta, len(self._rows) - 1))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.size.height - 2))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= 1:
            index = round(self.scroll_offset.y) + offset.y - 1
            if 0 <= index < len(self._rows):
                self.cursor_row = index
