from pilar_runtime.service import run
from services.console.app import build
from services.console.settings import ConsoleSettings

run(build, ConsoleSettings)
