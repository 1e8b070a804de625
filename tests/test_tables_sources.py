"""tables.row_sources / locate_check: the data behind each table cell and each why-chain line, on the bundled data."""

from __future__ import annotations

from desktop.matrixload import load_matrix
from desktop.model import Check, GpuInfo, Host
from desktop.resolve import resolve
from desktop.tables import build_amd_rows, build_tables, locate_check, row_sources, source_refs, split_source


def test_rows_carry_their_data_rows_sources() -> None:
    m = load_matrix()
    tables = build_tables(m)
    for key, rows in tables.items():
        for row in rows:
            cells = row_sources(m, key, row)
            assert set(cells) == set(row) and all(cells.values()), (key, row)
    amd = build_amd_rows(m, "gfx1100")[0]
    model = m.find_amd_gpu(amd["GPU"])
    assert row_sources(m, "amd", amd)["gfx target"] == model.source
    ids = m.cuda("12.6").source
    assert source_refs(m, ids) == [(m.sources[i].title, m.sources[i].url) for i in ids]
    assert source_refs(m, ["no-such-id"]) == [("no-such-id", "")]


def test_each_why_line_of_an_h100_plan_points_at_its_row() -> None:
    m = load_matrix()
    tables = build_tables(m)
    res = resolve(m, Host(gpus=(GpuInfo(0, "NVIDIA H100 80GB HBM3", cc="9.0"),), driver="580.159.04"))
    for check in res.checks:
        loc = locate_check(m, tables, check, res.plan.torch)
        assert loc is not None, check
        key, i = loc
        if check.check == "host" and "compute capability" in check.detail:
            assert tables[key][i]["GPU"] == "H100 80GB HBM3"
        elif check.check in ("host", "driver"):
            assert key == "driver"
        else:
            assert key == "torch" and tables[key][i]["torch"] == res.plan.torch


def test_lines_no_table_says_are_not_placed() -> None:
    m = load_matrix()
    tables = build_tables(m)
    res = resolve(m, Host(gpus=(GpuInfo(0, "AMD Radeon RX 7900 XTX", vendor="amd", gfx="gfx1100"),)))
    amd_line = next(c for c in res.checks if c.check == "host")
    assert locate_check(m, tables, amd_line, res.plan.torch) is None  # no AMD table in the app: its source instead
    assert split_source(amd_line.source) == m.find_amd_gpu("Radeon RX 7900 XTX").source
    assert locate_check(m, tables, Check("release", True, "...and 4 more newer releases rejected", None)) is None
    assert locate_check(m, tables, Check("driver", True, "driver 580 >= 525.60.13, CUDA 12.6's own", "x"))[0] == "driver"
