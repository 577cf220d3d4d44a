package ipam_test

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/calico-win/cni/internal/etcdtest"
	"github.com/calico-win/cni/internal/kastest"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	code := etcdtest.Run(m)
	kastest.Stop()
	os.Exit(code)
}
