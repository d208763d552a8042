"""report.xlsx as openpyxl (a reader other than the writer) sees it, for tests/spreadsheet.rs:
python tests/figures/xlsx_cells.py report.xlsx prints one JSON object, per sheet in workbook
order: its name, frozen cell, filter range, and every row as [kind, value, number format,
quote prefix] cells, where kind is openpyxl's data type ('s' text, 'n' number, 'b' boolean,
'd' date, 'f' formula) and dates are ISO text.
"""
import json
import sys

import openpyxl

book = openpyxl.load_workbook(sys.argv[1])
sheets = []
for sheet in book.worksheets:
    rows = []
    for row in sheet.iter_rows():
        cells = []
        for c in row:
            value = c.value
            kind = c.data_type
            if c.is_date and value is not None:
                kind, value = "d", value.isoformat(sep=" ")
            cells.append([kind, value, c.number_format, bool(c.quotePrefix)])
        rows.append(cells)
    sheets.append({
        "name": sheet.title,
        "freeze": sheet.freeze_panes,
        "filter": sheet.auto_filter.ref,
        "rows": rows,
    })
print(json.dumps({"sheets": sheets, "created": book.properties.created.isoformat()}))
