FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --create-home --uid 1000 loupe
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs settings that import cleanly; the build-time key is never used at runtime.
RUN LOUPE_ENV=embedded LOUPE_DATA_DIR=/tmp/build-data python manage.py collectstatic --noinput -v0 \
    && rm -rf /tmp/build-data && chown -R loupe /app
USER loupe
EXPOSE 8000
CMD ["gunicorn", "loupe.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", \
     "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-"]
