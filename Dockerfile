# Coalition container image.
#
# Build:  docker build -t coalition .
# Run:    docker compose up --build   (see deploy/README.md)
#
# The runtime image is distroless: it has no shell, wget or curl, so this
# file declares no HEALTHCHECK. The compose stack instead health-checks NATS
# and ClickHouse with the tools inside their own images, and the coalition
# service waits for both to be healthy; probe coalition itself from outside
# through GET /livez and GET /readyz.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# A static binary for the static distroless base; no VCS stamping, since
# .git is not part of the build context.
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# Download modules in their own layer so that source edits reuse it.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags='-s -w' -o /coalition ./cmd/coalition

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /coalition /coalition
# uid/gid 65532 of the distroless image; named so the check needs no lookup.
USER nonroot:nonroot
WORKDIR /home/nonroot
# Listen on all interfaces inside the container (the binary's own default,
# 127.0.0.1:8080, is unreachable through a published port). The data dir is
# only used when serve runs its in-process NATS; it must be writable by
# nonroot.
ENV COALITION_HTTP_ADDR=0.0.0.0:8080 \
    COALITION_DATA_DIR=/home/nonroot/coalition-data
EXPOSE 8080
ENTRYPOINT ["/coalition"]
CMD ["serve"]
