"""Composition root of the registry service."""

from fastapi import FastAPI

from pilar_runtime.service import create_app
from pilar_runtime.settings import ServiceSettings
from services.registry.settings import RegistrySettings


def build(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    return create_app(
        settings,
        title="Pilar registry",
        description="Regions, institutions and their kepengurusan, formation, community regulations, workers.",
    )
