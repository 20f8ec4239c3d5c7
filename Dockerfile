# crm in a container, for shops that run containers (compose.yaml: the dashboard, the worker, PostgreSQL
# and Redis). The commands are the systemd units' in deploy/ (tests/test_deploy.py keeps them in step):
# the container migrates the database when it starts, then serves with gunicorn on port 5000.
#
# XDG_RUNTIME_DIR: where gunicorn puts its control socket (the user's home, /opt/crm, is read-only to it).
# bookworm: its postgresql-client (15) matches compose.yaml's PostgreSQL 15, and pg_dump must be at least
# the server's version for `flask --app crm backup`.
FROM python:3.12-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CRM_HOST=0.0.0.0 \
    CRM_PORT=5000 \
    XDG_RUNTIME_DIR=/tmp

RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /opt/crm --no-create-home \
               --shell /usr/sbin/nologin crm

WORKDIR /opt/crm
COPY pyproject.toml README.md wsgi.py ./
COPY crm ./crm
COPY migrations ./migrations
# Editable, as on a server: crm runs from /opt/crm beside its migrations, its instance folder is
# /opt/crm/instance (a volume: the secret key, uploads waiting to be imported, SQLite and backups).
RUN pip install -e ".[postgresql,redis]" \
    && python -m compileall -q crm migrations \
    && install -d -o crm -g crm -m 0700 /opt/crm/instance

USER crm
VOLUME /opt/crm/instance
EXPOSE 5000
CMD ["sh", "-c", "flask --app crm db upgrade && exec flask --app crm web"]
