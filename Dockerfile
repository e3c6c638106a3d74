# The knapp manager image: a static binary on distroless, running as the
# nonroot user (65532) the chart's securityContext expects.
#   docker build -t registry.example.com/platform/knapp:0.1.0 .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY pkg/ pkg/
COPY webhooks/ webhooks/
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /knapp ./cmd/knapp

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /knapp /knapp
USER 65532:65532
ENTRYPOINT ["/knapp"]
