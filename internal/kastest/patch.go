package kastest

import "net/http"

// AdminPatch applies a strategic-merge patch as the administrator (the
// kubelet, a controller) and returns the answer, without failing the test:
// for writers that run beside the code under test.
func (s *Server) AdminPatch(path string, patch []byte) (int, []byte, error) {
	return s.do(http.MethodPatch, path, patch, "application/strategic-merge-patch+json")
}
