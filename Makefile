# calico-win: see README.md.
#   make build   bin/calico, bin/calico-ipam, bin/hnsctl (Linux) and bin/windows/*.exe
#   make demo    a pod lifecycle through the built binaries on a local etcd and the HNS simulator
#   make demo-windows  the same through the Windows binaries under Wine (HNS served by hnsctl serve)
#   make test    every test (installs what it needs: etcd, cnitool, wine, kube-apiserver)
#   make bench   benchmarks (prints the figures)
#   make chaos   the long kill-anywhere and chaos campaigns (thousands of pod lifecycles; prints their tables)
#   make fuzz    every fuzz target for FUZZTIME (default 30s) each (scripts/fuzz.sh)

GO       ?= go
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/calico-win/cni/plugin.Version=$(VERSION)
# Each binary is linked to a temporary file and copied into place, as an
# installation copies it onto a node: a binary run straight from the
# linker's output costs about 0.5 ms more wall time per process here
# (perf stat of `calico-ipam version`: 2.6 ms against 2.1 ms for a byte-equal
# copy, with the same CPU), which would skew `make bench`.
GOBUILD  := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)"
INSTALL   = cp $@.link $@.copy && mv -f $@.copy $@ && rm -f $@.link
SOURCES  := $(shell find . -name '*.go' -not -path './bin/*') go.mod go.sum

.PHONY: build demo demo-windows test bench chaos fuzz vet clean

build: bin/calico bin/calico-ipam bin/hnsctl bin/windows/calico.exe bin/windows/calico-ipam.exe bin/windows/hnsctl.exe

bin/calico: $(SOURCES)
	$(GOBUILD) -o $@.link ./cmd/calico && $(INSTALL)
bin/calico-ipam: $(SOURCES)
	$(GOBUILD) -o $@.link ./cmd/calico-ipam && $(INSTALL)
bin/hnsctl: $(SOURCES)
	$(GOBUILD) -o $@.link ./cmd/hnsctl && $(INSTALL)
bin/windows/%.exe: $(SOURCES)
	GOOS=windows GOARCH=amd64 $(GOBUILD) -o $@.link ./cmd/$* && $(INSTALL)

demo: build
	./scripts/demo.sh $(DEMO_MODE)

demo-windows: build
	./scripts/demo-windows.sh

test:
	./scripts/test.sh

bench: build
	./scripts/bench.sh

# Counts can be changed: make chaos KILL_LIFECYCLES=5000 CHAOS_LIFECYCLES=2000
KILL_LIFECYCLES  ?= 3000
CHAOS_LIFECYCLES ?= 1200
chaos: build
	PATH=$$(./scripts/setup.sh):$$PATH CALICO_WIN_BIN=$(CURDIR)/bin KUBE_APISERVER_BIN=$$(./scripts/kube-apiserver.sh) \
	CALICO_WIN_KILL_LIFECYCLES=$(KILL_LIFECYCLES) CALICO_WIN_KILL_LIFECYCLES_KDD=$(KILL_LIFECYCLES) \
	CALICO_WIN_CHAOS_LIFECYCLES=$(CHAOS_LIFECYCLES) CALICO_WIN_CHAOS_KILL=0.4 \
	$(GO) test -count=1 -timeout 120m -v -run '^(TestKillAnywhereIntegration|TestKillAnywhereKDDIntegration|TestChaosCampaignIntegration)$$' ./plugin

FUZZTIME ?= 30s
fuzz: build
	CALICO_WIN_BIN=$(CURDIR)/bin FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

vet:
	$(GO) vet ./...
	GOOS=windows GOARCH=amd64 $(GO) vet ./...

clean:
	rm -rf bin
