# make test   what CI runs (.ci/run): dependencies, vet, unit tests, then the e2e suite (root)
# make lab    boot station-01 against pxed in a private network namespace (root)
# make build  one static binary in bin/pxed

.PHONY: test lab build deps e2e

test: deps
	go vet ./...
	go test ./...
	go test -tags e2e -count=1 -v -timeout 40m ./test/e2e/

# Just the e2e suite, without installing dependencies first.
e2e:
	go test -tags e2e -count=1 -v -timeout 40m ./test/e2e/

lab: deps
	scripts/lab $(LAB_FLAGS)

build:
	CGO_ENABLED=0 go build -o bin/pxed ./cmd/pxed

deps:
	scripts/deps
