"""Write report rows as CSV or as a real Excel workbook (.xlsx, openpyxl)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, Literal

Format = Literal["csv", "xlsx"]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PERCENT_COLUMNS = {"no_show_rate", "cancellation_rate"}


def csv_bytes(columns: Sequence[str], rows: list[dict[str, Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def xlsx_bytes(title: str, columns: Sequence[str], rows: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit on sheet names
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, len(column) + 2)
        if column in PERCENT_COLUMNS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.0%"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(kind: str, fmt: Format, columns: Sequence[str], rows: list[dict[str, Any]]) -> bytes:
    return csv_bytes(columns, rows) if fmt == "csv" else xlsx_bytes(kind, columns, rows)
