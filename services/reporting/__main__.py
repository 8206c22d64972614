from pilar_runtime.service import run
from services.reporting.app import build
from services.reporting.settings import ReportingSettings

run(build, ReportingSettings)
