package hookapi

import (
	"errors"
	"testing"
)

func TestVerifyGitHubSignature(t *testing.T) {
	secret := []byte("It's a Secret to Everybody")
	body := []byte("Hello, World!")
	// GitHub's documented example for this secret and body.
	const good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	tests := []struct {
		name, header string
		secret       []byte
		want         error
	}{
		{"GitHub's example", good, secret, nil},
		{"surrounding space", " " + good + " ", secret, nil},
		{"upper-case hex", "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17", secret, nil},
		{"empty", "", secret, ErrNoCredentials},
		{"malformed hex", "sha256=zz", secret, ErrBadCredentials},
		{"no prefix", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", secret, ErrBadCredentials},
		{"sha1", "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59", secret, ErrBadCredentials},
		{"short", "sha256=757107ea0eb2509f", secret, ErrBadCredentials},
		{"prefix only", "sha256=", secret, ErrBadCredentials},
		{"wrong secret", good, []byte("another secret"), ErrBadCredentials},
		{"one digit off", good[:len(good)-1] + "8", secret, ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifyGitHubSignature(tt.secret, body, tt.header); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyGitLabToken(t *testing.T) {
	tests := []struct {
		name, secret, header string
		want                 error
	}{
		{"right", "tok", "tok", nil},
		{"empty header", "tok", "", ErrNoCredentials},
		{"wrong", "tok", "tak", ErrBadCredentials},
		{"prefix", "tok", "to", ErrBadCredentials},
		{"longer", "tok", "token", ErrBadCredentials},
		{"empty secret matches nothing", "", "x", ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifyGitLabToken([]byte(tt.secret), tt.header); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyBearer(t *testing.T) {
	tests := []struct {
		name, secret, header string
		want                 error
	}{
		{"right", "tok", "Bearer tok", nil},
		{"scheme in lower case", "tok", "bearer tok", nil},
		{"empty", "tok", "", ErrNoCredentials},
		{"no token", "tok", "Bearer", ErrBadCredentials},
		{"empty token", "tok", "Bearer ", ErrBadCredentials},
		{"wrong", "tok", "Bearer tak", ErrBadCredentials},
		{"basic", "tok", "Basic dG9r", ErrBadCredentials},
		{"token without scheme", "tok", "tok", ErrBadCredentials},
		{"empty secret matches nothing", "", "Bearer ", ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifyBearer([]byte(tt.secret), tt.header); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}
