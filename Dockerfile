# syntax=docker/dockerfile:1
# A static binary on a distroless base: no shell, no package manager, runs as nonroot.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/weda-gateway .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/weda-gateway /weda-gateway
USER nonroot:nonroot
ENV PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD ["/weda-gateway", "healthcheck"]
ENTRYPOINT ["/weda-gateway"]
