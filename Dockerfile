# Image of a psflow worker or command (docker-compose.yml): `docker run IMAGE worker`, `... topics apply`.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY app app
COPY agents agents
COPY tables tables
COPY replay replay
COPY domain domain
COPY avro avro
COPY kafka kafka
# Editable: psflow finds avro/ and kafka/ next to its packages, as in a checkout.
RUN pip install --no-cache-dir -e . \
    && useradd --system --uid 10001 --no-create-home psflow \
    && mkdir /data && chown psflow /data
# Not root: the worker needs only its state folder.
USER psflow
# State is rebuilt from the changelogs when a container is new; it is the container's own, never shared.
ENV PSFLOW_DATA_DIR=/data \
    PSFLOW_WEB_HOST=0.0.0.0 \
    PSFLOW_WEB_PORT=6066
EXPOSE 6066
ENTRYPOINT ["psflow"]
CMD ["--help"]
