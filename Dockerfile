FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-mod-spatialite nodejs npm libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY geo_risk ./geo_risk
COPY web ./web
RUN pip install --no-cache-dir . && python -m web.assets
RUN useradd --system --home /var/lib/geo-risk georisk && mkdir -p /var/lib/geo-risk && chown georisk /var/lib/geo-risk
USER georisk
EXPOSE 8000
