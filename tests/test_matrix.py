"""Loading, validating and falling back; and the bundled data's own consistency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.matrixcheck import consistency_problems
from desktop.matrixload import BUNDLED_MATRIX, load_matrix, load_matrix_with_fallback
from desktop.schema import SCHEMA, MatrixError, validate_data
from matrix_factory import make_data, make_matrix


@pytest.fixture(scope="module")
def bundled():  # type: ignore[no-untyped-def]
    return load_matrix()


def test_bundled_matrix_is_consistent(bundled) -> None:  # type: ignore[no-untyped-def]
    assert consistency_problems(bundled) == []


def test_bundled_matrix_matches_schema_per_jsonschema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(BUNDLED_MATRIX.read_text())
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(data)


def test_every_row_names_a_known_source() -> None:
    data = json.loads(BUNDLED_MATRIX.read_text())
    ids = set(data["sources"])
    rows = [r for k in ("python_releases", "architectures", "cuda_toolkits", "gpus", "torch_releases") for r in data[k]]
    rows += [b for r in data["torch_releases"] for b in r["builds"]]
    assert rows
    for r in rows:
        assert r["source"] and set(r["source"]) <= ids, r
    assert all(s["url"] and s["title"] for s in data["sources"].values())


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "matrix.json"
    p.write_text(text)
    return p


BAD_FILES = [
    ("not json", "{ this is not json", "$", "not valid JSON"),
    ("missing section", json.dumps({k: v for k, v in make_data().items() if k != "gpus"}), "$", "missing required key 'gpus'"),
    ("bad cc", json.dumps(make_data(gpus=[{"name": "X", "cc": "eight", "segment": "geforce", "source": ["t"]}])), "$.gpus[0].cc", "does not match"),
    ("unknown key", json.dumps(make_data(extra=1)), "$.extra", "unknown key"),
    ("dangling source", json.dumps(make_data(gpus=[{"name": "X", "cc": "8.6", "segment": "geforce", "source": ["nope"]}])),
     "$.gpus[0].source", "source id 'nope'"),
]


@pytest.mark.parametrize("name,text,path,msg", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_error_names_file_and_path(tmp_path: Path, name: str, text: str, path: str, msg: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(MatrixError) as ei:
        load_matrix(p)
    assert ei.value.path == path
    assert msg in str(ei.value)
    assert str(p) in str(ei.value)


def test_non_utf8_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    p = tmp_path / "matrix.json"
    p.write_bytes(b"\xff\xfe{not json")
    with pytest.raises(MatrixError, match="not UTF-8"):
        load_matrix(p)
    assert load_matrix_with_fallback(p).path == str(BUNDLED_MATRIX)


def test_bad_build_error_points_inside_the_release(tmp_path: Path) -> None:
    data = make_data()
    data["torch_releases"][1]["builds"][0]["variant"] = "cuda12"
    with pytest.raises(MatrixError) as ei:
        validate_data(data, "x.json")
    assert ei.value.path == "$.torch_releases[1].builds[0].variant"


def test_impossible_date_is_an_error_not_a_crash(tmp_path: Path) -> None:
    data = make_data()
    data["python_releases"][0]["released"] = "2024-13-45"
    p = write(tmp_path, json.dumps(data))
    with pytest.raises(MatrixError) as ei:
        load_matrix(p)
    assert ei.value.path == "$.python_releases[0].released" and "not a date" in str(ei.value)
    assert load_matrix_with_fallback(p).path == str(BUNDLED_MATRIX)


def test_invalid_user_copy_falls_back_to_bundled(tmp_path: Path) -> None:
    bad = write(tmp_path, "[]")
    loaded = load_matrix_with_fallback(bad)
    assert loaded.path == str(BUNDLED_MATRIX)
    assert len(loaded.warnings) == 1 and str(bad) in loaded.warnings[0] and "bundled" in loaded.warnings[0]


def test_valid_user_copy_is_used(tmp_path: Path) -> None:
    good = write(tmp_path, json.dumps(make_data(data_version="user-copy")))
    loaded = load_matrix_with_fallback(good)
    assert loaded.matrix.data_version == "user-copy" and loaded.warnings == ()


def test_inconsistent_user_copy_falls_back_to_bundled(tmp_path: Path) -> None:
    data = make_data(data_version="inconsistent")
    data["torch_releases"][0]["default_variant"]["linux-x86_64"] = "cu999"  # passes the schema, not the cross-checks
    bad = write(tmp_path, json.dumps(data))
    loaded = load_matrix_with_fallback(bad)
    assert loaded.path == str(BUNDLED_MATRIX)
    assert "default build cu999" in loaded.warnings[0] and str(bad) in loaded.warnings[0]


def test_missing_user_copy_is_silently_skipped(tmp_path: Path) -> None:
    loaded = load_matrix_with_fallback(tmp_path / "absent.json")
    assert loaded.path == str(BUNDLED_MATRIX) and loaded.warnings == ()


CONSISTENCY = [
    ("cuda missing", lambda d: d["torch_releases"][0]["builds"][0].update(cuda="12.7", variant="cu127"), "CUDA 12.7 is not in cuda_toolkits"),
    ("arch outside toolkit", lambda d: d["torch_releases"][0]["builds"][0]["platforms"]["linux-x86_64"]["sass"].append("3.5"),
     "sm_35 is outside what CUDA 12.8 supports"),
    ("unknown torchvision", lambda d: d["torch_releases"][0].update(torchvision="0.99.0"), "torchvision 0.99.0 is not a known"),
    ("unknown torchaudio", lambda d: d["torch_releases"][1].update(torchaudio="9.9.9"), "torchaudio 9.9.9 is not a known"),
    ("duplicate release", lambda d: d["torch_releases"].append(d["torch_releases"][0]), "appears more than once"),
    ("default not a build", lambda d: d["torch_releases"][0]["default_variant"].update({"linux-x86_64": "cu999"}), "default build cu999"),
    ("variant vs cuda", lambda d: d["torch_releases"][0]["builds"][0].update(variant="cu129"), "does not match its CUDA 12.8"),
    ("gpu cc without arch", lambda d: d["gpus"].append({"name": "Odd", "cc": "4.0", "segment": "geforce", "source": ["t"]}), "no architecture row"),
    ("duplicate gpu name", lambda d: d["gpus"].append({"name": "h100", "cc": "9.0", "segment": "datacenter", "source": ["t"]}), "is used by both"),
    ("python unknown", lambda d: d["torch_releases"][0]["python"].append("3.99"), "Python 3.99 is not in python_releases"),
    ("amd name is an nvidia name", lambda d: d["amd_gpus"][0]["aliases"].append("NVIDIA H100"), "is also an NVIDIA GPU name"),
    ("duplicate amd name", lambda d: d["amd_gpus"][1]["aliases"].append("AMD RX 7900 XTX"), "AMD GPU name 'AMD RX 7900 XTX' is used by both"),
]


@pytest.mark.parametrize("name,mutate,msg", CONSISTENCY, ids=[c[0] for c in CONSISTENCY])
def test_consistency_checks_catch(name: str, mutate, msg: str) -> None:  # type: ignore[no-untyped-def]
    data = make_data()
    assert consistency_problems(make_matrix(data)) == []
    mutate(data)
    problems = consistency_problems(make_matrix(data))
    assert any(msg in p for p in problems), problems


def test_find_gpu_exact_takes_names_and_aliases_but_not_the_brandless_short_form() -> None:
    m = make_matrix()
    assert m.find_gpu("K80") is not None and m.find_gpu("K80") is m.find_gpu("Tesla K80")  # the short form finds it
    assert m.find_gpu_exact("K80") is None  # ...but it is not a name the table holds
    k80 = m.find_gpu_exact("NVIDIA Tesla K80")
    assert k80 is not None and k80.name == "Tesla K80"
    assert m.find_gpu_exact("rtx 3090") is not None  # an alias counts


@pytest.mark.parametrize("query,expected", [
    ("H100", "H100 80GB HBM3"),
    ("nvidia h100 80gb hbm3", "H100 80GB HBM3"),
    ("NVIDIA GeForce RTX 5090", "GeForce RTX 5090"),
    ("rtx 5090", "GeForce RTX 5090"),
    ("GTX   1080", "GeForce GTX 1080"),
    ("RTX 9999", None),
])
def test_find_gpu(query: str, expected: str | None) -> None:
    g = make_matrix().find_gpu(query)
    assert (g.name if g else None) == expected


def test_suggestions_for_unknown_gpu() -> None:
    assert "GeForce RTX 5090" in make_matrix().suggest_gpus("RTX 5099")
