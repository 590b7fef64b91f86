"""The page and the two read endpoints beside the board socket, and the
dashboard without a broker."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import uvicorn
import websockets
from fastapi import FastAPI
from websockets.typing import Origin, Subprotocol

from base.auth import mint_token
from dashboard.app import attach
from dashboard.protocol import PROTOCOL, Status, decode_frame
from tests.dashboard.conftest import ORIGIN, bed, capacity, free_port

pytestmark = pytest.mark.kafka


async def test_the_page_is_served_with_a_strict_content_security_policy(server):
    async with httpx.AsyncClient(base_url=server.url.replace("ws://", "http://")) as http:
        page = await http.get("/")
        script = await http.get("/board/static/board.js")
    assert page.status_code == 200 and "edflow" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert script.status_code == 200


async def test_history_and_facilities_need_a_token_valid_for_the_facility(server, board, board_settings, token):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available"), capacity(10, 2)])
    await board.publish("demo", 2, changes=[capacity(12, 4)])
    await board.publish("south", 1, "snapshot", [capacity(3, 0)])
    while not (server.fanout.knows("south") and server.fanout.boards["demo"].seq == 2):
        await asyncio.sleep(0.05)
    forged = mint_token(
        board_settings.model_copy(update={"jwt_secret": "another-secret-0123456789abcdef-0123456789"}),
        "x",
        "admin",
        ["*"],
    )
    async with httpx.AsyncClient(base_url=server.url.replace("ws://", "http://")) as http:

        def get(path: str, bearer: str | None):
            return http.get(path, headers={"Authorization": f"Bearer {bearer}"} if bearer else {})

        missing = await get("/board/history?facility=demo", None)
        bad = await get("/board/history?facility=demo", forged)
        foreign = await get("/board/history?facility=south", token)
        history = await get("/board/history?facility=demo", token)
        facilities = await get("/board/facilities", token)
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "unauthorized")
    assert bad.status_code == 401 and "signature" in bad.json()["error"]["message"]
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (403, "forbidden")
    assert [(p["census"], p["waiting"]) for p in history.json()["points"]] == [(10, 2), (12, 4)]
    assert facilities.json() == {"facilities": ["demo"]}  # south exists, but not for this token


async def test_without_a_broker_the_page_is_served_and_clients_are_told_to_wait(board_settings, token):
    nowhere = board_settings.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{free_port()}"})
    app = FastAPI()
    attach(app, nowhere)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    serving = asyncio.create_task(uv.serve())
    try:
        while not uv.started:
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/")).status_code == 200
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/ws/board?facility=demo",
            origin=Origin(ORIGIN),
            subprotocols=[Subprotocol(PROTOCOL), Subprotocol(f"bearer.{token}")],
        ) as ws:
            frame = decode_frame(await asyncio.wait_for(ws.recv(), 10))
        assert isinstance(frame, Status) and frame.state == "waiting"
    finally:
        uv.should_exit = True
        await asyncio.wait_for(serving, 15)
