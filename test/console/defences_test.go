package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// checkDefences attacks the console as another web page or program on
// this machine would: without the session's cookie, under another host
// name (DNS rebinding), with a wrong token, and with a cross-site POST
// (no X-Knapp-Console header). Each is refused; the caller checks that
// the App did not change.
func checkDefences(ctx context.Context, t *testing.T, login string) {
	t.Helper()
	u, err := url.Parse(login)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + u.Host
	token := u.Query().Get("token")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, host string, cookie bool, header bool) int {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		if cookie {
			req.AddCookie(&http.Cookie{Name: "knapp-console", Value: token})
		}
		if header {
			req.Header.Set("X-Knapp-Console", "1")
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		name, method, path, host string
		cookie, header           bool
		want                     int
	}{
		{"no session cookie", "GET", "/api/apps", "", false, false, http.StatusUnauthorized},
		{"a page without the cookie", "GET", "/", "", false, false, http.StatusUnauthorized},
		{"another host name (DNS rebinding)", "GET", "/api/apps", "evil.example:" + u.Port(), true, false, http.StatusMisdirectedRequest},
		{"a wrong token", "GET", "/login?token=" + strings.Repeat("0", len(token)), "", false, false, http.StatusUnauthorized},
		{"a cross-site POST", "POST", "/api/apps/team-a/shop/promote", "", true, false, http.StatusForbidden},
		{"a POST without the cookie", "POST", "/api/apps/team-a/shop/promote", "", false, true, http.StatusUnauthorized},
		{"the right token logs in", "GET", "/login?token=" + token, "", false, false, http.StatusSeeOther},
		{"with the cookie, reads", "GET", "/api/apps?namespace=team-a", "", true, false, http.StatusOK},
	} {
		if got := do(c.method, c.path, c.host, c.cookie, c.header); got != c.want {
			t.Errorf("%s: %s %s answered %d, want %d", c.name, c.method, c.path, got, c.want)
		}
	}
}
