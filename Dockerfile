# Pinion's default app (the feathers-chat server) in a small image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/pinion-server ./cmd/server
# The data directory: the embedded store (pinion.db) when no MONGODB_URL is set.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/pinion-server /app/pinion-server
COPY config /app/config
COPY --from=build --chown=65532:65532 /out/data /app/data
# Without MONGODB_URL, users, messages and the authentication state are in
# /app/data/pinion.db: mount a volume here to keep them.
VOLUME /app/data
ENV APP_ENV=production PORT=3030 DATA_DIR=/app/data
EXPOSE 3030
USER nonroot
ENTRYPOINT ["/app/pinion-server"]
