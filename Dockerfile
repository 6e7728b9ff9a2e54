# The afterglow command, built as a static binary and shipped alone on a distroless base, run as
# a user without privileges. The workspace is not in the image: mount it (compose.yaml, the
# ConfigMap in deploy/kubernetes) and point --config at its afterglow.yaml.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) --build-arg COMMIT=$(git rev-parse HEAD) -t afterglow .
#
# The build context has no .git (.dockerignore), so the version and commit that `afterglow
# version` prints come from those build arguments, through the linker.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG COMMIT=""
# CGO_ENABLED=0: no libc, so the binary runs on a base without one. -trimpath: no build paths in
# stack traces. Time zones are compiled in (time/tzdata), so none are needed from the base.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.buildVersion=${VERSION} -X main.buildCommit=${COMMIT}" \
      -o /out/afterglow ./cmd/afterglow \
 && /out/afterglow version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/afterglow /usr/local/bin/afterglow
USER nonroot:nonroot
WORKDIR /workspace
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/afterglow"]
CMD ["run", "--config", "/workspace/afterglow.yaml", "--log-format", "json"]
