package ipam_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/calico-win/cni/internal/etcdtest"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	etcdtest.Main(m)
}
