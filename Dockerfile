# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal.settings \
    PORTAL_VAR_DIR=/app/var \
    LEXICON_DIR=/app/lexicon

RUN apt-get update \
    && apt-get install --yes --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Build-time settings only: with both URLs set nothing embedded starts and nothing is contacted.
RUN DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 SECRET_KEY=build-time-only-not-a-secret-0123456789-abcdefghijklmnopq \
        LEXICON_DIR=/app/lexicon \
        sh -c "python manage.py compilemessages --ignore=.venv && python manage.py collectstatic --noinput && python manage.py build_lexicon" \
    && useradd --system --uid 1000 --home /app portal \
    && mkdir -p /app/var \
    && chown portal /app/var

USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
