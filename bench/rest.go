package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// load is one measured workload on one target.
type load struct {
	workload string
	storage  string
	target   string
	rps      float64
	p50, p99 float64 // milliseconds
	errors   int
	note     string
	limit    bcryptFigures // for logins: the bcrypt limit measured just before
}

// wrk runs the load generator against url with an optional Lua script.
func wrk(url, script string, connections int, o options, headers ...string) (load, error) {
	args := []string{"-t2", fmt.Sprintf("-c%d", connections), fmt.Sprintf("-d%ds", int(o.duration.Seconds())), "--latency", "--timeout", "10s"}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	if script != "" {
		args = append(args, "-s", script)
	}
	args = append(args, url)
	out, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		return load{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return parseWrk(string(out))
}

var (
	reRPS     = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	reLatency = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$`)
	reNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	reSocket  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func parseWrk(out string) (load, error) {
	var l load
	m := reRPS.FindStringSubmatch(out)
	if m == nil {
		return l, fmt.Errorf("unexpected wrk output:\n%s", out)
	}
	l.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, m := range reLatency.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		switch m[3] {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		if m[1] == "50" {
			l.p50 = v
		} else {
			l.p99 = v
		}
	}
	if m := reNon2xx.FindStringSubmatch(out); m != nil {
		l.errors, _ = strconv.Atoi(m[1])
	}
	if m := reSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			l.errors += n
		}
	}
	return l, nil
}

// luaPost writes a wrk script that POSTs body as JSON.
func luaPost(dir, name, body, token string) (string, error) {
	auth := ""
	if token != "" {
		auth = fmt.Sprintf("wrk.headers[\"Authorization\"] = \"Bearer %s\"\n", token)
	}
	script := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %q\nwrk.headers[\"Content-Type\"] = \"application/json\"\n%s", body, auth)
	path := filepath.Join(dir, name+".lua")
	return path, os.WriteFile(path, []byte(script), 0o644)
}

func (r *report) measureREST(t *target, o options) error {
	dir, err := os.MkdirTemp("", "wrk-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bearer := "Authorization: Bearer " + t.token
	create, err := luaPost(dir, "create", `{"text":"a message from wrk"}`, t.token)
	if err != nil {
		return err
	}
	login, err := luaPost(dir, "login", fmt.Sprintf(`{"strategy":"local","email":%q,"password":"bench-password"}`, t.email), "")
	if err != nil {
		return err
	}
	runs := []struct {
		workload, url, script string
		connections           int
		headers               []string
	}{
		{"GET /messages/:id (authenticated)", t.url + "/messages/" + t.message, "", o.connections, []string{bearer}},
		{"GET /messages (find, page of 10)", t.url + "/messages", "", o.connections, []string{bearer}},
		{"POST /messages (create)", t.url + "/messages", create, o.connections, nil},
		{"POST /authentication (local login)", t.url + "/authentication", login, 4, nil},
	}
	for _, run := range runs {
		fmt.Fprintf(os.Stderr, "%s %s: %s\n", t.name, t.storage, run.workload)
		var limit bcryptFigures
		if strings.Contains(run.workload, "login") {
			// The machine's speed right now, not at some other moment.
			limit = bcryptLimit()
		}
		l, err := wrk(run.url, run.script, run.connections, o, run.headers...)
		if err != nil {
			return err
		}
		l.workload, l.storage, l.target = run.workload, t.storage, t.name
		if limit.limit > 0 {
			l.note = "login"
			l.limit = limit
		}
		r.loads = append(r.loads, l)
	}
	return nil
}
