package deploy

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// checkDockerfile checks the Dockerfile of the coalition service's build.
func checkDockerfile(p *project) error {
	app, err := p.service(appService)
	if err != nil {
		return err
	}
	if app.Build == nil || app.Build.Context == "" {
		return fmt.Errorf("%s has no build context", appService)
	}
	file := filepath.Join(p.dir, app.Build.Context, cmp.Or(app.Build.Dockerfile, "Dockerfile"))
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	df, err := parseDockerfile(string(text))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	_, port, err := p.appHTTPPort()
	if err != nil {
		return err
	}
	if err := verifyDockerfile(df, port); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

type dockerfile struct {
	stages []stage
}

type stage struct {
	from, name string
	instrs     []instruction
}

type instruction struct {
	cmd  string // upper case: RUN, COPY, ...
	args string
}

// parseDockerfile splits a Dockerfile into stages of instructions, joining
// continued lines and dropping comments. Heredocs are not supported.
func parseDockerfile(text string) (*dockerfile, error) {
	df := &dockerfile{}
	var logical []string
	var cur strings.Builder
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue // Docker drops comments and empty lines, also inside continuations
		}
		if body, ok := strings.CutSuffix(strings.TrimRight(line, " \t"), `\`); ok {
			cur.WriteString(body)
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(line)
		logical = append(logical, strings.TrimSpace(cur.String()))
		cur.Reset()
	}
	if cur.Len() > 0 {
		logical = append(logical, strings.TrimSpace(cur.String()))
	}
	for _, l := range logical {
		if l == "" {
			continue
		}
		cmd, args, _ := strings.Cut(l, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := nonFlags(strings.Fields(in.args))
			if len(f) == 0 {
				return nil, fmt.Errorf("FROM without an image")
			}
			st := stage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			df.stages = append(df.stages, st)
			continue
		}
		if len(df.stages) == 0 {
			if in.cmd == "ARG" {
				continue // global ARG before the first FROM
			}
			return nil, fmt.Errorf("%s before FROM", in.cmd)
		}
		last := &df.stages[len(df.stages)-1]
		last.instrs = append(last.instrs, in)
	}
	if len(df.stages) == 0 {
		return nil, fmt.Errorf("no FROM")
	}
	return df, nil
}

// nonFlags drops --flag and --flag=value arguments.
func nonFlags(fields []string) []string {
	var out []string
	for _, f := range fields {
		if !strings.HasPrefix(f, "--") {
			out = append(out, f)
		}
	}
	return out
}

func flagArg(fields []string, name string) string {
	for _, f := range fields {
		if v, ok := strings.CutPrefix(f, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// execForm parses the arguments of ENTRYPOINT, CMD or COPY: a JSON array, or
// else shell words.
func execForm(args string) ([]string, bool) {
	if strings.HasPrefix(args, "[") {
		var l []string
		if err := json.Unmarshal([]byte(args), &l); err == nil {
			return l, true
		}
	}
	return strings.Fields(args), false
}

// verifyDockerfile checks that some stage builds ./cmd/coalition statically,
// that the final stage copies that binary to where ENTRYPOINT runs it, and
// that the final stage runs as a non-root user and exposes httpPort.
func verifyDockerfile(df *dockerfile, httpPort string) error {
	final := &df.stages[len(df.stages)-1]
	var errs []error

	var entrypoint []string
	for _, in := range final.instrs {
		if in.cmd == "ENTRYPOINT" {
			var isExec bool
			if entrypoint, isExec = execForm(in.args); !isExec {
				entrypoint = []string{"/bin/sh", "-c", in.args}
			}
		}
	}
	if len(entrypoint) == 0 || entrypoint[0] != appEntrypoint {
		errs = append(errs, fmt.Errorf("final stage: got ENTRYPOINT %q, want exec form [%q]", entrypoint, appEntrypoint))
	}

	buildIdx, output, cgoOff := -1, "", false
	for i, st := range df.stages {
		stageCgoOff := false
		for _, in := range st.instrs {
			switch in.cmd {
			case "ENV":
				if envSets(in.args, "CGO_ENABLED", "0") {
					stageCgoOff = true
				}
			case "RUN":
				f := strings.Fields(in.args)
				goAt := slices.Index(f, "go")
				if goAt < 0 || goAt+1 == len(f) || f[goAt+1] != "build" || !slices.Contains(f, appPackage) {
					continue
				}
				buildIdx = i
				if out, ok := flagValue(f, "o"); ok {
					output = out
				}
				cgoOff = stageCgoOff || slices.Contains(f[:goAt], "CGO_ENABLED=0")
			}
		}
	}
	switch {
	case buildIdx < 0:
		errs = append(errs, fmt.Errorf("no RUN go build ... %s", appPackage))
	case output == "":
		errs = append(errs, fmt.Errorf("go build %s has no -o output path", appPackage))
	default:
		if !cgoOff {
			errs = append(errs, fmt.Errorf("go build %s without CGO_ENABLED=0: the binary must be static", appPackage))
		}
		if err := checkCopied(df, buildIdx, output, entrypoint); err != nil {
			errs = append(errs, err)
		}
	}

	user := ""
	var exposed []string
	for _, in := range final.instrs {
		switch in.cmd {
		case "USER":
			user, _, _ = strings.Cut(in.args, ":")
		case "EXPOSE":
			for _, f := range strings.Fields(in.args) {
				port, _, _ := strings.Cut(f, "/")
				exposed = append(exposed, port)
			}
		}
	}
	if user == "" || user == "root" || user == "0" {
		errs = append(errs, fmt.Errorf("final stage: got USER %q, want a non-root user", user))
	}
	if !slices.Contains(exposed, httpPort) {
		errs = append(errs, fmt.Errorf("final stage: got EXPOSE %q, want %s (COALITION_HTTP_ADDR)", exposed, httpPort))
	}
	return errors.Join(errs...)
}

// checkCopied checks that the binary built in stage buildIdx at output is
// at the ENTRYPOINT path of the final stage.
func checkCopied(df *dockerfile, buildIdx int, output string, entrypoint []string) error {
	if len(entrypoint) == 0 {
		return nil // already reported
	}
	finalIdx := len(df.stages) - 1
	if buildIdx == finalIdx {
		if output != entrypoint[0] {
			return fmt.Errorf("go build -o %s, but ENTRYPOINT runs %s", output, entrypoint[0])
		}
		return nil
	}
	refs := []string{strconv.Itoa(buildIdx)}
	if name := df.stages[buildIdx].name; name != "" {
		refs = append(refs, name)
	}
	for _, in := range df.stages[finalIdx].instrs {
		if in.cmd != "COPY" {
			continue
		}
		fields, isExec := execForm(in.args)
		if !slices.Contains(refs, flagArg(fields, "from")) {
			continue
		}
		if !isExec {
			fields = nonFlags(fields)
		}
		if len(fields) < 2 || !slices.Contains(fields[:len(fields)-1], output) {
			continue
		}
		dest := fields[len(fields)-1]
		if strings.HasSuffix(dest, "/") {
			dest = path.Join(dest, path.Base(output))
		}
		if dest == entrypoint[0] {
			return nil
		}
	}
	return fmt.Errorf("final stage has no COPY --from=%s %s %s", refs[len(refs)-1], output, entrypoint[0])
}

// envSets reports whether the arguments of an ENV instruction set key to
// value, in the KEY=VALUE ... or the KEY VALUE form.
func envSets(args, key, value string) bool {
	f := strings.Fields(args)
	if len(f) == 2 && !strings.Contains(f[0], "=") {
		return f[0] == key && f[1] == value
	}
	return slices.Contains(f, key+"="+value)
}

func TestVerifyDockerfile(t *testing.T) {
	const good = `
FROM golang:1.26-bookworm AS build
ENV CGO_ENABLED=0
RUN go build -trimpath \
    -o /coalition ./cmd/coalition
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /coalition /coalition
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/coalition"]
CMD ["serve"]
`
	tests := []struct {
		name    string
		edit    func(string) string
		wantErr string // "" for none
	}{
		{name: "good", edit: func(s string) string { return s }},
		{name: "shell form entrypoint", edit: replace(`ENTRYPOINT ["/coalition"]`, `ENTRYPOINT /coalition`), wantErr: "ENTRYPOINT"},
		{name: "other package", edit: replace("./cmd/coalition", "./cmd/other"), wantErr: "no RUN go build"},
		{name: "cgo on", edit: replace("ENV CGO_ENABLED=0", "ENV CGO_ENABLED=1"), wantErr: "CGO_ENABLED=0"},
		{name: "inline cgo off", edit: func(s string) string {
			return replace("RUN go build", "RUN CGO_ENABLED=0 go build")(replace("ENV CGO_ENABLED=0", "ENV GOFLAGS=-mod=mod")(s))
		}},
		{name: "binary not copied", edit: replace("COPY --from=build /coalition /coalition", "COPY --from=build /coalition /usr/bin/coalition"), wantErr: "no COPY"},
		{name: "copy into directory", edit: replace("COPY --from=build /coalition /coalition", "COPY --from=build /coalition /")},
		{name: "copy by stage index", edit: replace("--from=build", "--from=0")},
		{name: "root user", edit: replace("USER nonroot:nonroot", "USER root"), wantErr: "non-root"},
		{name: "other port", edit: replace("EXPOSE 8080", "EXPOSE 9090/tcp"), wantErr: "EXPOSE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			df, err := parseDockerfile(tc.edit(good))
			if err != nil {
				t.Fatal(err)
			}
			err = verifyDockerfile(df, "8080")
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func replace(old, with string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, with, 1) }
}
