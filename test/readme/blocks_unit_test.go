package readme

import (
	"reflect"
	"testing"
)

func TestBlocks(t *testing.T) {
	readme := "# x\n## Your first hour\n\ntext\n\n```sh\nkubectl get apps -A\n```\n\n```\nNAME\n```\n\n```yaml\na: b\n```\n\n## Next\n```sh\nnot this\n```\n"
	lines, first, err := section(readme, "## Your first hour")
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blocks(lines, first)
	if err != nil {
		t.Fatal(err)
	}
	want := []block{{line: 6, code: "kubectl get apps -A", want: []string{"NAME"}}}
	if !reflect.DeepEqual(bs, want) {
		t.Fatalf("blocks = %+v, want %+v", bs, want)
	}
	if _, err := blocks([]string{"```sh", "x", "```", "text"}, 1); err == nil {
		t.Fatal("a shell block without output was accepted")
	}
}

func TestCommands(t *testing.T) {
	code := "# a comment\nbody='{}'\ncurl -s -X POST http://x \\\n  -d \"$body\"\nkubectl apply -f - <<'YAML'\nkind: App\nYAML\n\nkubectl get app -n a b\nkubectl wait app -n a b --for=condition=Ready"
	cmds := commands(code)
	want := []command{
		{text: "body='{}'"},
		{text: "curl -s -X POST http://x \\\n  -d \"$body\""},
		{text: "kubectl apply -f - <<'YAML'\nkind: App\nYAML"},
		{text: "kubectl get app -n a b", read: true},
		{text: "kubectl wait app -n a b --for=condition=Ready", read: true},
	}
	if !reflect.DeepEqual(cmds, want) {
		t.Fatalf("commands = %#v\nwant %#v", cmds, want)
	}
	once, again := split(cmds)
	if len(once) != 3 || len(again) != 2 {
		t.Fatalf("split = %d once, %d again; want 3, 2", len(once), len(again))
	}
}

func TestMatches(t *testing.T) {
	for _, c := range []struct {
		want, got []string
		ok        bool
	}{
		{[]string{"NAME   AGE", "shop   30s"}, []string{"NAME AGE", "shop 2m5s", ""}, true},
		{[]string{"a", "...", "d"}, []string{"a", "b", "c", "d"}, true},
		{[]string{"a", "...", "d"}, []string{"a", "d"}, true},
		{[]string{"a", "..."}, []string{"a", "b"}, true},
		{[]string{"a", "d"}, []string{"a", "b", "d"}, false},
		{[]string{"shop Unknown RevisionMissing"}, []string{"shop Unknown WaitingForBuild"}, false},
		{[]string{"a"}, []string{"a", "b"}, false},
		{[]string{"a", "b"}, []string{"a"}, false},
		{[]string{"open http://127.0.0.1:3100/login?token=... (Ctrl-C stops it)"}, []string{"open http://127.0.0.1:3100/login?token=0a9f3c (Ctrl-C stops it)"}, true},
		{[]string{"open http://127.0.0.1:3100/login?token=..."}, []string{"open http://127.0.0.1:3101/login?token=0a9f3c"}, false},
	} {
		if got := matches(c.want, c.got); got != c.ok {
			t.Errorf("matches(%q, %q) = %v, want %v", c.want, c.got, got, c.ok)
		}
	}
}

func TestReadsAndServing(t *testing.T) {
	cmds := commands("kubectl knapp canary shop --revision r --percent 20\nkubectl knapp describe shop -n team-a\nkubectl knapp route shop / -H a:b\nkubectl knapp console -n team-a")
	if cmds[0].read || !cmds[1].read || !cmds[2].read || cmds[3].read {
		t.Fatalf("reads: %+v; want describe and route only", cmds)
	}
	if got := serving(cmds); got != 3 {
		t.Fatalf("serving = %d, want 3", got)
	}
	if got := serving(cmds[:3]); got != -1 {
		t.Fatalf("serving without the console = %d, want -1", got)
	}
}
