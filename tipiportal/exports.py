"""THE CSV / XLSX responses of the staff pages, and the guard every cell goes through.

Names, labels and references in these files come from imported files and from the public:
a cell is never left to start like a spreadsheet formula, and control characters (which
XLSX cannot hold, and which only hide text in CSV) are removed.
"""

import csv
import datetime
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

import tablib
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# C0 controls but tab, line feed and carriage return, and DEL: what XLSX refuses or hides.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
    """The rows as a CSV or XLSX file named ``<name>-<local time>.<fmt>`` (built in memory:
    the caller bounds the number of rows). XLSX keeps numbers, decimals and dates typed."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    dataset = tablib.Dataset(headers=list(headers), title=name.capitalize()[:31])
    for row in rows:
        row = [cell_safe(value) for value in row]
        dataset.append([_csv_text(value) for value in row] if fmt == "csv" else row)
    if fmt == "csv":
        body = ("\ufeff" + dataset.export("csv", delimiter=";", lineterminator="\r\n")).encode("utf-8")
    else:
        body = dataset.export("xlsx")
    response = HttpResponse(body, content_type=FORMATS[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    return response
