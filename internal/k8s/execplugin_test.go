package k8s

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// The test binary doubles as an exec credential plugin (TestMain): a
// kubeconfig's exec runs os.Args[0] with FAKE_EXEC_PLUGIN in its env, set
// to what the plugin does:
//
//	token       print a token: FAKE_EXEC_TOKEN, then a digest of the
//	            KUBERNETES_EXEC_INFO it was given (so that two clients that
//	            send the same token gave the plugin the same input)
//	cert        print the client certificate and key in the files
//	            FAKE_EXEC_CERT and FAKE_EXEC_KEY
//	expired     a token that expired a minute ago (each run prints a new one)
//	fail        write to stderr and exit 3
//	garbage     print something that is not an ExecCredential
//	nostatus    print an ExecCredential without status
//	sleep       never answer
//
// Each run appends a line to the file FAKE_EXEC_RUNS, when set.
const fakeExecPluginEnv = "FAKE_EXEC_PLUGIN"

func fakeExecPlugin() int {
	if f := os.Getenv("FAKE_EXEC_RUNS"); f != "" {
		w, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintln(w, "run")
		w.Close()
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(os.Getenv("KUBERNETES_EXEC_INFO")), &info); err != nil {
		fmt.Fprintln(os.Stderr, "KUBERNETES_EXEC_INFO:", err)
		return 1
	}
	canonical, _ := json.Marshal(info) // map keys sorted
	sum := sha256.Sum256(canonical)
	status := map[string]any{}
	switch mode := os.Getenv(fakeExecPluginEnv); mode {
	case "token":
		status["token"] = os.Getenv("FAKE_EXEC_TOKEN") + "." + hex.EncodeToString(sum[:6])
	case "expired":
		status["token"] = fmt.Sprintf("expired-%d", time.Now().UnixNano())
		status["expirationTimestamp"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	case "cert":
		cert, err1 := os.ReadFile(os.Getenv("FAKE_EXEC_CERT"))
		key, err2 := os.ReadFile(os.Getenv("FAKE_EXEC_KEY"))
		if err1 != nil || err2 != nil {
			fmt.Fprintln(os.Stderr, err1, err2)
			return 1
		}
		status["clientCertificateData"], status["clientKeyData"] = string(cert), string(key)
	case "fail":
		fmt.Fprintln(os.Stderr, "no credentials for you")
		return 3
	case "garbage":
		fmt.Println("[1, 2")
		return 0
	case "nostatus":
		status = nil
	case "sleep":
		time.Sleep(time.Hour)
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		return 1
	}
	out := map[string]any{"apiVersion": info["apiVersion"], "kind": "ExecCredential"}
	if status != nil {
		out["status"] = status
	}
	json.NewEncoder(os.Stdout).Encode(out)
	return 0
}
