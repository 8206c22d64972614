from pydantic_settings import SettingsConfigDict

from pilar_runtime.settings import ServiceSettings


class OutreachSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OUTREACH_", populate_by_name=True, extra="ignore")

    service: str = "outreach"
    port: int = 8002
