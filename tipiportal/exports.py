"""THE CSV / XLSX responses of the staff pages, and the guard every cell goes through.

Names, labels and references in these files come from imported files and from the public:
a cell is never left to start like a spreadsheet formula, and control characters (which
XLSX cannot hold, and which only hide text in CSV) are removed.
"""

import csv
import datetime
import re
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# C0 controls but tab, line feed and carriage return, and DEL: what XLSX refuses or hides.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEADER_FONT = Font(bold=True)


def cell_safe(value):
    """A cell value that a spreadsheet cannot run as a formula and that XLSX can hold."""
    if not isinstance(value, str):
        return value
    value = _CONTROL_CHARACTERS.sub("", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_text(value) -> str:
    """French spreadsheets: 38,08 and 22/11/2026."""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, datetime.datetime):
        return f"{value:%d/%m/%Y %H:%M:%S}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    return "" if value is None else str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_streaming_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """A streamed CSV for French spreadsheets (`;`, UTF-8 with a BOM), row by row: for reports
    of any length."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([_csv_text(cell_safe(value)) for value in row])

    response = StreamingHttpResponse(lines(), content_type=FORMATS["csv"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def table_response(*, fmt: str, name: str, headers: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """The rows as a CSV or XLSX file named ``<name>-<local time>.<fmt>``, in constant memory
    whatever their number: the CSV streams row by row as it is sent; the XLSX is written by
    openpyxl's write-only mode into a temporary file (a zip cannot be sent before it is whole),
    then streamed from it. XLSX keeps numbers, decimals and dates typed."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    filename = f"{name}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"
    if fmt == "csv":
        return csv_streaming_response(filename, headers, rows)
    return FileResponse(
        _xlsx_file(title=name.capitalize()[:31], headers=headers, rows=rows),
        as_attachment=True,
        filename=filename,
        content_type=FORMATS["xlsx"],
    )


def _xlsx_file(*, title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> IO[bytes]:
    """A write-only workbook saved into a temporary file, rewound (deleted once closed)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append([_bold(sheet, header) for header in headers])
    for row in rows:
        sheet.append([cell_safe(value) for value in row])
    file = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    try:
        book.save(file)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file


def _bold(sheet, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=cell_safe(value))
    cell.font = _HEADER_FONT
    return cell
