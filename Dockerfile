# syntax=docker/dockerfile:1
#
# Builds the plugin inside images and installs it into Grafana, so that
# `docker compose up` needs no Node or Go on the host. The build stages run on
# the host's own platform and cross-compile the backend for the platform of
# the Grafana image (TARGETOS/TARGETARCH), which makes the same file work on
# amd64 and arm64 hosts.

ARG GRAFANA_VERSION=12.4.10

# The frontend: the same npm ci and webpack build as the test command.
FROM --platform=$BUILDPLATFORM node:20-bookworm AS frontend
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY .config ./.config
COPY tsconfig.json README.md CHANGELOG.md LICENSE ./
COPY src ./src
RUN npm run build

# The backend: the project's build command (the plugin SDK's mage targets),
# for the one platform the Grafana image runs on.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS backend
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY Magefile.go package.json ./
COPY scripts/build-backend.sh ./scripts/
COPY src/plugin.json ./src/
COPY pkg ./pkg
RUN bash scripts/build-backend.sh build:custom "${TARGETOS:-linux}" "${TARGETARCH:-amd64}" \
 && ls dist/gpx_mlops_fourkeys_*

FROM grafana/grafana:${GRAFANA_VERSION}
ENV GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=mlops-fourkeys-datasource
COPY --from=frontend /src/dist /var/lib/grafana/plugins/mlops-fourkeys-datasource
COPY --from=backend /src/dist/ /var/lib/grafana/plugins/mlops-fourkeys-datasource/
# The image's grafana.ini is Grafana's sample, every line a comment; this one
# sets only the plugin's state directory.
COPY docker/grafana.ini /etc/grafana/grafana.ini
