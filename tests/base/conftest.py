"""The board WebSocket checks here run against the same real dashboard (uvicorn
on a free port, a board topic on the real broker) as tests/dashboard."""

from tests.dashboard.conftest import board, board_settings, server, tuning  # noqa: F401  (fixtures, used by name)
