from pydantic_settings import SettingsConfigDict

from pilar_runtime.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", populate_by_name=True, extra="ignore")

    service: str = "registry"
    port: int = 8001
    # POST /imports per caller (token `sub`) and minute, counted per replica.
    imports_per_minute: int = 10
