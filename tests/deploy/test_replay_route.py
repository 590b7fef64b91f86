"""GET /board/replay: the auditor's board at an instant, the same replay as
`edflow replay`, refused to other roles, and on the access log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from base.auth import mint_token
from deploy.server import build_app
from events.catalogue import Person
from projections.profile import facility_profiles
from projections.replay import Replay, board_view, store_envelopes
from services.audit.access import access_log


def test_an_auditor_reads_the_board_at_an_instant_and_the_read_is_logged(sqlite_settings):
    app = build_app(sqlite_settings)
    with TestClient(app) as client:

        def bearer(sub: str, role: str) -> dict:
            return {"Authorization": "Bearer " + mint_token(sqlite_settings, sub, role, ["fac-1"])}

        base = "/api/v1/facilities/fac-1"
        client.post(f"{base}/beds", json={"bed_id": "ED-1", "unit": "ED-A"}, headers=bearer("a", "admin"))
        late = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
        arrival = {"visit_number": "V1", "patient": {"family_name": "Doe", "sex": "F"}, "occurred_at": late}
        visit = client.post(f"{base}/encounters", json=arrival, headers=bearer("n", "intake")).json()["id"]
        at = datetime.now(UTC)

        params = {"facility": "fac-1", "at": at.isoformat(), "by": "occurred"}
        assert client.get("/board/replay", params=params, headers=bearer("n", "charge-nurse")).status_code == 403
        assert client.get("/board/replay", params=params).status_code == 401
        answer = client.get("/board/replay", params=params, headers=bearer("ivy", "auditor"))
        assert answer.status_code == 200, answer.text
        view = answer.json()

        hospital = app.state.hospital
        replay = Replay(at=at, by="occurred", profile_for=facility_profiles(sqlite_settings))
        for envelope in store_envelopes(hospital):
            replay.feed(envelope)
        facility, entries = replay.entries_of("fac-1")
        expected = board_view(facility, entries, at, replay.profile_for(facility))
        assert {k: view[k] for k in expected} == expected
        assert [row["id"] for row in view["waiting"]] == [visit]
        assert {(c["kind"], c["id"]) for c in view["entities"]} >= {("encounter", visit), ("bed", "ED-1")}
        assert [m["type"] for m in view["events"]["marks"]] == ["PatientArrived"]
        assert view["events"]["previous"] is not None and view["events"]["next"] is None

        logged = [(e.actor_id, e.role, e.resource) for e in access_log(hospital, facility_id="fac-1")]
        assert ("ivy", "auditor", "board.replay") in logged
        assert all(actor != "n" or resource != "board.replay" for actor, _, resource in logged)


def test_the_access_log_timeline_and_chain_state_are_for_auditors_and_audited(sqlite_settings):
    app = build_app(sqlite_settings)
    with TestClient(app) as client:

        def bearer(sub: str, role: str) -> dict:
            return {"Authorization": "Bearer " + mint_token(sqlite_settings, sub, role, ["fac-1"])}

        arrival = {"visit_number": "V1", "patient": {"family_name": "Doe", "sex": "F"}}
        visit = client.post("/api/v1/facilities/fac-1/encounters", json=arrival, headers=bearer("n", "intake"))
        visit_id = visit.json()["id"]
        client.get(f"/api/v1/facilities/fac-1/encounters/{visit_id}", headers=bearer("dr-bo", "provider"))
        auditor = bearer("ivy", "auditor")
        assert (
            client.get("/audit/access", params={"facility": "fac-1"}, headers=bearer("n", "intake")).status_code == 403
        )

        found = client.get("/audit/access", params={"facility": "fac-1", "actor": "dr-bo"}, headers=auditor).json()
        assert [(e["actor_id"], e["resource"], e["resource_id"]) for e in found["entries"]] == [
            ("dr-bo", "encounters.read", visit_id)
        ]
        exported = client.get("/audit/access", params={"facility": "fac-1", "format": "csv"}, headers=auditor)
        assert exported.headers["content-type"].startswith("text/csv")
        lines = exported.text.splitlines()
        assert lines[0] == "at,facility_id,actor_id,role,action,resource,resource_id,client,purpose"
        assert any(",dr-bo,provider,read,encounters.read," in line for line in lines)
        assert any(",ivy,auditor,read,audit.access," in line for line in lines)  # the auditor's own read

        timeline = client.get("/audit/timeline", params={"facility": "fac-1", "visit": visit_id}, headers=auditor)
        assert [e["type"] for e in timeline.json()["events"]] == ["PatientArrived"]
        assert timeline.json()["events"][0]["actor"] == "n"

        chain = client.get("/audit/chain", params={"facility": "fac-1"}, headers=auditor).json()
        assert chain["state"] == "intact" and chain["verified_up_to"] >= 1


def test_a_store_that_no_longer_holds_the_history_read_rebuilds_the_snapshots(tmp_path):
    """The server's snapshots are checked against the store's hash chain before
    each answer: a store that now holds another history at the same positions
    (restored from another copy) is read again, never answered from snapshots
    of the old one."""
    from base.settings import Settings
    from deploy.replay_route import History
    from services.hospital import Hospital
    from tests.conftest import Clock

    def store(name: str, visits: list[str]) -> Hospital:
        app = Hospital(Settings(data_dir=tmp_path / name, event_store="sqlite"))
        clock = Clock()
        app.register_bed(clock.meta(), "ED-1", unit="ED-A")
        for visit in visits:
            app.arrive(clock.meta(role="registrar"), visit, Person(age_years=30, sex="F"))
        return app

    first, second = store("first", ["V1", "V2", "V3"]), store("second", ["W1", "W2", "W3"])
    try:
        settings = Settings(data_dir=tmp_path / "first", event_store="sqlite")
        history = History(settings, first)
        at = datetime(2030, 1, 1, tzinfo=UTC)
        before = history.at("fac-1", at, "recorded")
        assert history.rebuilds == 0 and len(before["waiting"]) == 3
        assert history.at("fac-1", at, "recorded") == before  # same store: answered from the snapshots

        history.hospital = second  # same positions, other events
        after = history.at("fac-1", at, "recorded")

        assert history.rebuilds == 1
        replay = Replay(at=at, by="recorded", profile_for=history.profile_for)
        for envelope in store_envelopes(second):
            replay.feed(envelope)
        facility, entries = replay.entries_of("fac-1")
        assert {k: after[k] for k in ("waiting", "beds", "capacity")} == {
            k: v
            for k, v in board_view(facility, entries, at, history.profile_for(facility)).items()
            if k in ("waiting", "beds", "capacity")
        }
        assert {row["visit_number"] for row in after["waiting"]} == {"W1", "W2", "W3"}
    finally:
        first.close()
        second.close()
