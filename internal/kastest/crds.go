package kastest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"sigs.k8s.io/yaml"
)

// crdPath finds file (relative to the module root) from the working
// directory; an absolute path is used as it is.
func crdPath(file string) (string, error) {
	if filepath.IsAbs(file) {
		return file, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, file), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: set CALICO_CRDS (and CALICO_CRDS_V3) to absolute paths")
		}
		dir = parent
	}
}

// applyCRDs creates every CRD of the set's manifests and waits until all
// are Established, all in parallel (each takes seconds on its own).
func (s *Server) applyCRDs() error {
	var docs [][]byte
	for _, file := range s.crds.files() {
		path, err := crdPath(file)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, doc := range bytes.Split(data, []byte("\n---")) {
			j, err := yaml.YAMLToJSON(doc)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if len(bytes.TrimSpace(j)) > 0 && string(j) != "null" {
				docs = append(docs, j)
			}
		}
	}
	errs := make([]error, len(docs))
	var wg sync.WaitGroup
	for i, doc := range docs {
		wg.Go(func() { errs[i] = s.applyCRD(doc) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Server) applyCRD(doc []byte) error {
	var meta struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(doc, &meta); err != nil {
		return err
	}
	const crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
	code, body, err := s.do(http.MethodPost, crds, doc, "")
	if err != nil {
		return err
	}
	if code != http.StatusCreated && code != http.StatusConflict {
		return fmt.Errorf("creating CRD %s: %d %s", meta.Metadata.Name, code, body)
	}
	return poll(60*time.Second, 50*time.Millisecond, func() (bool, error) {
		code, body, err := s.do(http.MethodGet, crds+"/"+meta.Metadata.Name, nil, "")
		if err != nil || code != http.StatusOK {
			return false, fmt.Errorf("CRD %s: %d %v", meta.Metadata.Name, code, err)
		}
		var crd struct {
			Status struct {
				Conditions []struct{ Type, Status string } `json:"conditions"`
			} `json:"status"`
		}
		if err := json.Unmarshal(body, &crd); err != nil {
			return true, err
		}
		for _, c := range crd.Status.Conditions {
			if c.Type == "Established" && c.Status == "True" {
				return true, nil
			}
		}
		return false, fmt.Errorf("CRD %s not Established yet", meta.Metadata.Name)
	})
}

// warmUp creates and deletes one custom resource: the first create of any
// custom resource after the server starts takes 2 s (v1.34.4), which would
// otherwise land in whichever test or benchmark comes first.
func (s *Server) warmUp() error {
	path := s.CalicoPath("ipamhandles", "")
	obj := map[string]any{"apiVersion": s.CalicoAPIVersion(), "kind": "IPAMHandle", "metadata": map[string]any{"name": "kastest-warm-up"},
		"spec": map[string]any{"handleID": "kastest-warm-up", "block": map[string]int{}}}
	if code, body, err := s.do(http.MethodPost, path, obj, ""); err != nil || code != http.StatusCreated {
		return fmt.Errorf("warm-up create: %d %s %v", code, body, err)
	}
	if code, body, err := s.do(http.MethodDelete, path+"/kastest-warm-up", nil, ""); err != nil || code != http.StatusOK {
		return fmt.Errorf("warm-up delete: %d %s %v", code, body, err)
	}
	return nil
}
