# syntax=docker/dockerfile:1
# A static binary on a distroless base: no shell, no package manager, runs as nonroot (65532).
#
#   docker build -t weda-gateway \
#     --build-arg VERSION=$(git describe --tags --always) --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) .
#
# BuildKit (Docker's default builder) caches the module downloads and the Go build cache between
# builds; the module layer is rebuilt only when go.mod or go.sum change.
ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
# -X names package main's version and commit (printed by `weda-gateway version` and exported as
# build_info); the linker ignores a -X whose variable does not exist.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/weda-gateway .

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG COMMIT=unknown
ARG CREATED=""
LABEL org.opencontainers.image.title="weda-gateway" \
      org.opencontainers.image.description="A GraphQL gateway for the WeDa workflow OpenAPI" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian12:nonroot"
COPY --from=build /out/weda-gateway /weda-gateway
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
ENV PORT=8080
EXPOSE 8080 9090
HEALTHCHECK --interval=30s --timeout=5s CMD ["/weda-gateway", "healthcheck"]
ENTRYPOINT ["/weda-gateway"]
