"""The monthly ED measures: `GET /reports/measures` (CSV and a workbook a
spreadsheet opens) for coordinators, refused to other roles, 422 for a
malformed month, on the access log; and `edflow report measures` writing
the same file from the command line."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from base.auth import mint_token
from deploy.cli import main
from deploy.server import build_app
from services.audit.access import access_log

BASE = "/api/v1/facilities/fac-1"
NOVEMBER = {"facility": "fac-1", "month": "2026-11"}


def record_two_visits(client: TestClient, headers: dict) -> None:
    def post(path: str, body: dict, at: str) -> dict:
        timed = {**body, "occurred_at": f"2026-11-10T{at}:00-06:00"}
        answer = client.post(f"{BASE}{path}", json=timed, headers=headers)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    seen = post("/encounters", {"visit_number": "V1", "patient": {"mrn": "M-1", "sex": "F"}}, "10:00")["id"]
    post(f"/encounters/{seen}/provider", {"provider_id": "dr-a"}, "10:30")
    post(f"/encounters/{seen}/discharge", {"disposition": "home"}, "12:00")
    left = post("/encounters", {"visit_number": "V2", "patient": {"mrn": "M-2", "sex": "M"}}, "10:10")["id"]
    post(f"/encounters/{left}/left-without-being-seen", {}, "11:10")


def figures(text: str) -> dict[tuple[str, str], tuple[str, str]]:
    rows = csv.DictReader(io.StringIO(text))
    return {(r["disposition"], r["measure"]): (r["value"], r["visits"]) for r in rows if r["month"] == "2026-11"}


def test_coordinators_download_the_months_measures_and_the_read_is_logged(sqlite_settings, monkeypatch, tmp_path):
    app = build_app(sqlite_settings)
    with TestClient(app) as client:

        def bearer(sub: str, role: str) -> dict:
            return {"Authorization": "Bearer " + mint_token(sqlite_settings, sub, role, ["fac-1"])}

        record_two_visits(client, bearer("nurse-2", "charge-nurse"))
        coordinator = bearer("cora", "coordinator")
        assert client.get("/reports/measures", params=NOVEMBER).status_code == 401
        assert client.get("/reports/measures", params=NOVEMBER, headers=bearer("desk", "intake")).status_code == 403

        answer = client.get("/reports/measures", params=NOVEMBER, headers=coordinator)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/csv")
        assert 'filename="ed-measures-fac-1-2026-11-to-2026-11.csv"' in answer.headers["content-disposition"]
        got = figures(answer.text)
        assert got[("all", "visits")] == ("2", "2")
        assert got[("all", "LWBS rate")] == ("50.0", "2")
        assert got[("all", "median door-to-provider")] == ("30.0", "1")
        assert got[("discharged", "OP-18 median ED length of stay, discharged")] == ("120.0", "1")
        assert got[("all", "median ED length of stay")] == ("90.0", "2")

        book = client.get("/reports/measures", params={**NOVEMBER, "format": "xlsx"}, headers=coordinator)
        assert book.status_code == 200
        sheet = load_workbook(io.BytesIO(book.content)).active
        header, *cells = list(sheet.iter_rows(values_only=True))
        assert header[:4] == ("month", "disposition", "measure", "value")
        assert ("2026-11", "all", "LWBS rate", 50) in {row[:4] for row in cells}

        for bad in ({"month": "2026-13"}, {"month": "Nov"}, {"to": "2026-10"}, {"month": "2020-01", "to": "2026-11"}):
            refused = client.get("/reports/measures", params={**NOVEMBER, **bad}, headers=coordinator)
            assert refused.status_code == 422, (bad, refused.text)
            assert refused.json()["error"]["code"] == "invalid"

        reads = [e for e in access_log(app.state.hospital, actor_id="cora") if e.resource == "report/measures"]
        assert [(e.action, e.resource_id) for e in reads] == [("read", "2026-11..2026-11")] * 2

    # The command line writes the same rows.
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(sqlite_settings.data_dir))
    monkeypatch.setenv("EDFLOW_EVENT_STORE", "sqlite")
    monkeypatch.delenv("EDFLOW_FACILITY_CONFIG", raising=False)
    out = tmp_path / "measures.csv"
    assert main(["report", "measures", "--facility", "fac-1", "--month", "2026-11", "--out", str(out)]) == 0
    assert out.read_bytes() == answer.content


def test_the_command_line_refuses_a_malformed_month_in_one_line(capsys, tmp_path):
    out = str(tmp_path / "m.csv")
    try:
        main(["report", "measures", "--facility", "fac-1", "--month", "2026-1", "--out", out])
    except SystemExit as stop:
        assert stop.code == 2
    assert "not a month (YYYY-MM): '2026-1'" in capsys.readouterr().err
