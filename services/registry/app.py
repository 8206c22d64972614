"""Composition root of the registry service."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from pilar_runtime.regions import RegionError
from pilar_runtime.service import create_app
from services.registry import store
from services.registry.api import imports, institutions, regions, regulations, workers
from services.registry.handlers import handlers
from services.registry.settings import RegistrySettings


async def _region_error(_request: Request, exc: Exception) -> JSONResponse:
    # An unknown code or one of the wrong level, outside a request body's own validation: 422 naming the code.
    return JSONResponse({"detail": str(exc)}, status_code=422)


def build(settings: RegistrySettings | None = None) -> FastAPI:
    config = settings or RegistrySettings()
    app = create_app(
        config,
        title="Pilar registry",
        description="Regions, institutions and their kepengurusan, formation, community regulations, workers, "
        "bulk import.",
        routers=[regions.router, institutions.router, regulations.router, workers.router, imports.router],
        handlers=handlers,
        on_startup=store.ensure_indexes,
        status_extras=store.status_figures,
        body_limits={"/imports": imports.MAX_IMPORT_BYTES},
    )
    app.add_exception_handler(RegionError, _region_error)
    return app
