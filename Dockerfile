# syntax=docker/dockerfile:1
# Farmgate's image: one image for web, workers and beat (compose.yaml picks the command).
# Build: docker build -t farmgate .   Run: see deploy/README.md.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: the locked dependencies into a virtualenv -------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN python -m venv /opt/venv
# The lock first: this layer is rebuilt only when the dependencies change.
COPY pyproject.toml README.md ./
COPY requirements/ requirements/
COPY scripts/lock.py scripts/lock.py
RUN python scripts/lock.py --check \
    && /opt/venv/bin/pip install --require-hashes -r requirements/run.txt
COPY . .
# The project itself on top, without dependencies (all came from the lock above).
RUN /opt/venv/bin/pip install --no-deps -e .

# ---- runtime -----------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# The CJK font draws Chinese on packing slips; gettext compiles the translations.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        fonts-wqy-microhei gettext \
    && rm -rf /var/lib/apt/lists/*
# A fixed uid/gid (10001): volumes and host folders can be given to it (compose.yaml).
RUN groupadd --system --gid 10001 farmgate \
    && useradd --system --uid 10001 --gid farmgate --home-dir /app --shell /usr/sbin/nologin farmgate
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=storefront.settings.production \
    FARMGATE_VAR_DIR=/app/var \
    MEDIA_ROOT=/app/var/media \
    PROMETHEUS_MULTIPROC_DIR=/run/farmgate-metrics \
    PORT=8000
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# Translations and static files are built into the image (read-only, owned by root);
# the build-only key never reaches a running container.
RUN SECRET_KEY=build-only-not-a-secret DJANGO_SETTINGS_MODULE=storefront.settings.local \
        python manage.py compilemessages --ignore=.venv -v0 \
    && SECRET_KEY=build-only-not-a-secret DJANGO_SETTINGS_MODULE=storefront.settings.local \
        python manage.py collectstatic --noinput -v0 \
    && rm -rf /app/var/celery /app/var/farmgate.sqlite3 \
    && mkdir -p /app/var/media /run/farmgate-metrics \
    && chown farmgate:farmgate /app/var /app/var/media /run/farmgate-metrics
USER farmgate
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "deploy/healthcheck.py"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "storefront.wsgi"]
