# One image for the whole project; compose picks the service with `command: python -m services.<name>`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first and only from the lock: exact versions, every file checked against its hash. This
# layer is rebuilt only when the lock changes.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

# The project itself, without resolving anything again (its dependencies are all in the lock).
COPY pyproject.toml ./
COPY contracts ./contracts
COPY pilar_runtime ./pilar_runtime
COPY services ./services
COPY pilar ./pilar
RUN pip install --no-deps .

# Never run as root. A home directory gives matplotlib and friends somewhere to keep their caches.
RUN useradd --create-home --uid 10001 pilar
USER pilar
