from pilar_runtime.service import run
from services.outreach.app import build
from services.outreach.settings import OutreachSettings

run(build, OutreachSettings)
