package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/events"
)

// TestValidateHooks: what pxed check says of hooks[], each problem at its
// line.
func TestValidateHooks(t *testing.T) {
	t.Parallel()
	got, _ := validate(t, `hooks:
  - name: cmdb
    events: [discovered, inventory, installed, boot_failed]
    url: https://cmdb.example/pxed
    secret: s3cret
  - name: script
    command: [/usr/local/bin/on-boot, --quiet]
    timeout: 30s
  - name: typo
    events: [discoverd, lease]
    url: http://192.0.2.9:8080/hook
  - name: nowhere
  - name: CMDB
    url: ftp://cmdb.example/x
  - url: "http://[::1"
  - name: bad name
    url: http://hooks.example/
    timeout: 50ms
  - name: secret-for-command
    command: [/bin/true]
    secret: x
  - name: slow
    command: ["", x]
    timeout: 1h
  - name: userinfo
    url: https://user:pass@hooks.example/
dhcp: {enabled: false}
`)
	want := []string{
		`pxed.yaml:10: hook "typo": unknown event "discoverd" (events: discovered, inventory, adopted, lease, boot, installed, boot_failed, action)`,
		`pxed.yaml:12: hook "nowhere" has neither url nor command: give it where to send events`,
		`pxed.yaml:13: hook name "CMDB" is taken by hooks[0] (line 2)`,
		`pxed.yaml:14: hook "CMDB" url "ftp://cmdb.example/x": pxed POSTs over http or https only`,
		`pxed.yaml:15: hook has no name: give it one (it labels the hook's metrics and log lines)`,
		`pxed.yaml:15: hook "" url: parse "http://[::1": missing ']' in host`,
		`pxed.yaml:16: hook name "bad name": use letters, digits, '-', '_' and '.' only`,
		`pxed.yaml:18: hook "bad name" timeout 50ms is out of bounds: give 100ms to 10m0s`,
		`pxed.yaml:21: hook "secret-for-command" has a secret but no url: the secret signs POSTs`,
		`pxed.yaml:23: hook "slow" command has no program: its first word is the program to run`,
		`pxed.yaml:24: hook "slow" timeout 1h0m0s is out of bounds: give 100ms to 10m0s`,
		`pxed.yaml:26: hook "userinfo" url carries a user name or password: authenticate with the secret instead`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestHookDefaultsAndTopics(t *testing.T) {
	t.Parallel()
	c, err := Parse("pxed.yaml", []byte(`hooks:
  - name: all
    url: http://127.0.0.1:9/
  - name: some
    events: [lease, boot_failed, nonsense]
    command: [/bin/cat]
    timeout: 3s
`))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Timeout time.Duration
		Topics  []events.Topic
	}
	var gots []got
	for i := range c.Hooks {
		gots = append(gots, got{c.Hooks[i].Timeout.D(), c.Hooks[i].Topics()})
	}
	want := []got{
		{DefaultHookTimeout, nil},
		{3 * time.Second, []events.Topic{events.TopicLease, events.TopicBootFailed}},
	}
	if d := cmp.Diff(want, gots); d != "" {
		t.Errorf("hooks (-want +got):\n%s", d)
	}
}
