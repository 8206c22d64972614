from pilar_runtime.service import run
from services.notify.app import build
from services.notify.settings import NotifySettings

run(build, NotifySettings)
