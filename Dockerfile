# One image for the four services; compose picks the service with `command: python -m services.<name>`.
# Built in two stages: the project becomes a wheel, and the image installs only the runtime lock and that wheel —
# no test tools, no development code (pilar_dev, the services' tests), no build leftovers.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml ./
COPY contracts ./contracts
COPY pilar_runtime ./pilar_runtime
COPY services ./services
COPY pilar ./pilar
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Runtime dependencies only and only from the lock: exact versions, every file checked against its hash. This
# layer is rebuilt only when the lock changes.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

# The project itself, without resolving anything again (its dependencies are all in the lock).
COPY --from=build /wheels /wheels
RUN pip install --no-deps /wheels/*.whl && rm -rf /wheels

# Never run as root. A home directory gives matplotlib and friends somewhere to keep their caches.
RUN useradd --create-home --uid 10001 pilar
USER pilar
# The console's first-run folder: a volume mounted here keeps the first admin's one-time password until it is read,
# even if the container is recreated first (a named volume takes this folder's owner on first mount).
RUN mkdir /home/pilar/first-run
