# Image of a psflow worker or CLI, used by docker-compose.yml.
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
RUN pip install --no-cache-dir -e .
ENTRYPOINT []
