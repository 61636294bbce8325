"""Peak memory and time of ``wanbei-map import`` on a big XLSX sheet, side by side with a baseline.

Builds one workbook of N project rows (default 300,000: 编号, 项目名称, 英文名, 结对, 所在地,
投资额(万元), 状态, 年份, 来源 — the shape of an official's sheet), then runs ``wanbei-map import
FILE --layer projects --data COPY`` in a fresh process for this checkout and, with
``--baseline DIR``, for another checkout (e.g. the code before a change: ``git worktree add
/tmp/base 754fa8c``), each on a copy of its own ``data/``. The import's peak RSS is the child's
``ru_maxrss`` (``os.wait4``); its time is the wall clock of the whole command (Python start-up
included). The report goes to ``/dev/null``; the exit status and the last line of stderr are
printed (the baseline may die: it is reported, not hidden).

Run: ``.venv/bin/python bench/import_memory.py [--rows 300000] [--baseline DIR]
[--max-rows N]`` (``--max-rows`` is passed to this checkout as ``WANBEI_IMPORT_MAX_ROWS``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
MB = 2**20

HEADER = ["编号", "项目名称", "英文名", "结对", "所在地", "投资额(万元)", "状态", "年份", "来源"]
HOSTS = ["蚌山区", "龙子湖区", "禹会区", "淮上区", "怀远县", "五河县", "固镇县"]
STATUSES = ["已签约", "已落地", "在建", "投产"]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="项目" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def _cell(ref: str, value: object) -> str:
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def _row(number: int, values: list[object]) -> str:
    cells = "".join(_cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def project_row(i: int) -> list[object]:
    """The ``i``-th synthetic project (all in the 宁波—蚌埠 pairing)."""
    return [
        f"PR-bench-{i:07d}",  # an id: the ids made from a name's hash may collide at this size
        f"合作项目{i:07d}",
        f"Cooperation Project {i}",
        "宁波—蚌埠",
        HOSTS[i % len(HOSTS)],
        1000 + i % 50000,
        STATUSES[i % len(STATUSES)],
        2022 + i % 4,
        "bench/import_memory.py",
    ]


def build_xlsx(path: Path, rows: int) -> Path:
    """Write a one-sheet workbook of ``rows`` projects (inline strings, streamed to the zip)."""
    last = f"{chr(64 + len(HEADER))}{rows + 1}"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + f'<dimension ref="A1:{last}"/><sheetData>'.encode()
            )
            f.write(_row(1, HEADER).encode())
            for i in range(1, rows + 1):
                f.write(_row(i + 1, project_row(i)).encode())
            f.write(b"</sheetData></worksheet>")
    return path


def run_import(code: Path, sheet: Path, env: dict[str, str]) -> dict:
    """Import ``sheet`` with the checkout ``code`` into a copy of its data; peak RSS and time."""
    python = code / ".venv" / "bin" / "python"
    if not python.exists():
        python = Path(sys.executable)
    with tempfile.TemporaryDirectory(prefix="wanbei-bench-import-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(code / "data", data)
        cmd = [str(python), "-m", "webapp.cli", "import", str(sheet), "--layer", "projects"]
        cmd += ["--data", str(data), "--source", "bench"]
        err = Path(tmp) / "stderr"
        started = time.perf_counter()
        with open(os.devnull, "wb") as out, open(err, "wb") as errf:
            proc = subprocess.Popen(
                cmd, cwd=code, stdout=out, stderr=errf, env={**env, "PYTHONPATH": str(code)}
            )
            _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        lines = [ln for ln in err.read_text(errors="replace").splitlines() if ln.strip()]
        written = (data / "projects.csv").stat().st_size if (data / "projects.csv").exists() else 0
    return {
        "rc": os.waitstatus_to_exitcode(status),
        "seconds": elapsed,
        "peak": usage.ru_maxrss * 1024,
        "last": lines[-1][:120] if lines else "",
        "written": written,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--rows", type=int, default=300_000, help="rows of the sheet")
    p.add_argument("--baseline", type=Path, help="another checkout to run side by side")
    p.add_argument("--max-rows", type=int, help="WANBEI_IMPORT_MAX_ROWS for this checkout")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="wanbei-bench-sheet-") as tmp:
        sheet = build_xlsx(Path(tmp) / "projects.xlsx", args.rows)
        size = sheet.stat().st_size
        print(f"sheet: {args.rows:,} rows, {size / MB:.1f} MB (XLSX)", flush=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WANBEI_")}
        env["CI"] = "true"  # no progress bar
        runs = [("this checkout", ROOT, dict(env))]
        if args.max_rows:
            runs[0][2]["WANBEI_IMPORT_MAX_ROWS"] = str(args.max_rows)
        if args.baseline:
            runs.append(("baseline", args.baseline.resolve(), dict(env)))
        results = []
        for label, code, run_env in runs:
            r = run_import(code, sheet, run_env)
            results.append((label, r))
            print(
                f"{label}: exit {r['rc']}, peak RSS {r['peak'] / MB:,.0f} MB, "
                f"{r['seconds']:.1f} s; {r['last']}",
                flush=True,
            )
    ours = results[0][1]
    print()
    print("| sheet | code | exit | peak RSS | time | ratio peak RSS (that / this) | ratio time |")
    print("|---|---|---|---|---|---|---|")
    for label, r in results:
        print(
            f"| {args.rows:,} rows, {size / MB:.1f} MB | {label} | {r['rc']} | "
            f"{r['peak'] / MB:,.0f} MB | {r['seconds']:.1f} s | {r['peak'] / ours['peak']:.2f}× | "
            f"{r['seconds'] / ours['seconds']:.2f}× |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
