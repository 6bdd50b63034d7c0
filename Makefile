# Kaz — the two commands of the README are `make run` and `make test`.

GO ?= go
TEST_TIMEOUT ?= 30m

.PHONY: run test build peers vet fuzz-smoke

## run: start Kaz with its embedded defaults on http://127.0.0.1:8080
run:
	$(GO) run ./cmd/kaz serve

## build: one static binary in ./kaz
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o kaz ./cmd/kaz

## peers: install the real programs the tests talk to (litmus, Kamailio, Chromium…)
peers:
	bash .ci/install-peers

## test: every test, with every real peer (a missing peer fails)
test: peers
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/kaz
	KAZ_E2E=1 $(GO) test -timeout $(TEST_TIMEOUT) -count=1 ./...
