# reconcile in a container, for pipelines that prefer images to `pip install`:
#
#   docker build -t reconcile .
#   docker run --rm -v "$PWD:/work" --user "$(id -u):$(id -g)" \
#     -e AUTOTASK_API_USERNAME -e AUTOTASK_API_SECRET -e AUTOTASK_API_INTEGRATION_CODE \
#     -e SALESBUILDR_API_KEY -e SALESBUILDR_API_URL -e SALESBUILDR_WEBHOOK_SECRET \
#     reconcile plan mappings.yaml --out plan.json --detailed-exitcode
#
# Credentials come from the environment at run time; none are in the image. The CI scripts are
# in /opt/reconcile/ci (python /opt/reconcile/ci/run_reconcile.py ...).

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY reconciler ./reconciler
RUN python -m venv /opt/reconcile && /opt/reconcile/bin/pip install .

FROM python:3.11-slim
LABEL org.opencontainers.image.title="reconcile" \
      org.opencontainers.image.description="Salesbuildr <-> Autotask integration settings as code: validate, plan, apply."
ENV PATH="/opt/reconcile/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
COPY --from=build /opt/reconcile /opt/reconcile
COPY ci /opt/reconcile/ci
RUN groupadd --system --gid 10001 reconcile \
    && useradd --system --uid 10001 --gid reconcile --home-dir /home/reconcile --create-home reconcile \
    && mkdir /work && chown reconcile:reconcile /work
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["reconcile"]
CMD ["--help"]
