// Package testctx gives tests their context: the test's own (t.Context(),
// cancelled when the test ends) with a deadline, so no test call can hang
// past it. It is for tests only and imports nothing of the module.
package testctx

import (
	"context"
	"testing"
	"time"
)

// New returns t.Context() with timeout d. It is cancelled when the test
// ends, before its Cleanup functions run: a cleanup needs a context of its
// own.
func New(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
