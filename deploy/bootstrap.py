"""Composition root: build the write-model application from settings.

Nothing connects at import time; every process calls these from main()."""

from __future__ import annotations

from pydantic import ValidationError

from base.settings import Settings


def load_settings(**overrides) -> Settings:
    """Settings from the environment; a bad value is a one-line error."""
    from deploy.cli import CommandError

    try:
        settings = Settings(**overrides)
        settings.require_postgres()
    except ValidationError as error:
        first = error.errors()[0]
        field = "EDFLOW_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        # A validator's own message reads better without pydantic's prefix.
        raise CommandError(f"{field}: {first['msg'].removeprefix('Value error, ')}") from None
    except ValueError as error:
        raise CommandError(str(error)) from None
    return settings


def hospital(settings: Settings):
    from deploy.cli import CommandError
    from services.audit.keys import AuditConfigError
    from services.hospital import Hospital

    try:
        return Hospital(settings)
    except AuditConfigError as error:
        raise CommandError(str(error)) from None
