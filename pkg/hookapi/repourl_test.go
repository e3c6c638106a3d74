package hookapi

import "testing"

func TestNormalizeRepoURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://github.com/knapp-demo/shop", "github.com/knapp-demo/shop"},
		{"https://github.com/knapp-demo/shop.git", "github.com/knapp-demo/shop"},
		{"https://github.com/knapp-demo/shop/", "github.com/knapp-demo/shop"},
		{"https://github.com/knapp-demo/shop.git/", "github.com/knapp-demo/shop"},
		{"https://GitHub.COM/knapp-demo/shop", "github.com/knapp-demo/shop"},
		{"http://github.com/knapp-demo/shop", "github.com/knapp-demo/shop"},
		{"https://x-access-token:abc@github.com/knapp-demo/shop.git", "github.com/knapp-demo/shop"},
		{"ssh://git@github.com/knapp-demo/shop.git", "github.com/knapp-demo/shop"},
		{"ssh://git@gitlab.example.com:2222/team-a/shop.git", "gitlab.example.com/team-a/shop"},
		{"git@github.com:knapp-demo/shop.git", "github.com/knapp-demo/shop"},
		{"git@github.com:/knapp-demo/shop.git", "github.com/knapp-demo/shop"},
		{"github.com:knapp-demo/shop", "github.com/knapp-demo/shop"},
		{"git://github.com/knapp-demo/shop.git", "github.com/knapp-demo/shop"},
		{"https://gitlab.example.com/group/sub/shop.git", "gitlab.example.com/group/sub/shop"},
		{"  https://github.com/knapp-demo/shop  ", "github.com/knapp-demo/shop"},
		{"git@[2001:db8::1]:team/shop.git", "2001:db8::1/team/shop"},
		{"ssh://git@[2001:db8::1]:22/team/shop.git", "2001:db8::1/team/shop"},
	}
	for _, tt := range tests {
		got, err := NormalizeRepoURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeRepoURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "  ", "shop", "./shop", "/srv/git/shop.git", "https://github.com/", "https:///shop", "git@github.com:", "https://github.com/%zz"} {
		if got, err := NormalizeRepoURL(bad); err == nil {
			t.Errorf("NormalizeRepoURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestSameRepo(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://github.com/knapp-demo/shop.git", "git@github.com:knapp-demo/shop.git", true},
		{"https://github.com/knapp-demo/shop", "ssh://git@github.com/knapp-demo/shop.git", true},
		{"https://github.com/Knapp-Demo/Shop", "https://github.com/knapp-demo/shop", true},
		{"ssh://git@gitlab.example.com:2222/team-a/shop.git", "https://gitlab.example.com/team-a/shop", true},
		{"https://github.com/knapp-demo/shop", "https://github.com/knapp-demo/shop-api", false},
		{"https://github.com/knapp-demo/shop", "https://github.com/knapp-demo/shop/other", false},
		{"https://github.com/knapp-demo/shop", "https://gitlab.com/knapp-demo/shop", false},
		{"https://github.com/knapp-demo/shop", "https://github.com.evil.example/knapp-demo/shop", false},
		{"https://github.com/knapp-demo/shop", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := SameRepo(tt.a, tt.b); got != tt.want {
			t.Errorf("SameRepo(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
