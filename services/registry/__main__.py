from pilar_runtime.service import run
from services.registry.app import build
from services.registry.settings import RegistrySettings

run(build, RegistrySettings)
