package v1alpha1

import (
	"strings"
	"testing"
)

func TestPodContainerNames(t *testing.T) {
	tests := []struct {
		cs   []Container
		want string
	}{
		{nil, "user-container"},
		{[]Container{{}}, "user-container"},
		{[]Container{{Name: "app"}}, "app"},
		{[]Container{{}, {Image: "x"}}, "user-container-0 user-container-1"},
		{[]Container{{}, {Name: "user-container-0"}, {}}, "user-container-1 user-container-0 user-container-2"},
		{[]Container{{Name: "app"}, {}}, "app user-container-0"},
	}
	for _, tc := range tests {
		if got := strings.Join(PodContainerNames(tc.cs), " "); got != tc.want {
			t.Errorf("PodContainerNames(%+v) = %q, want %q", tc.cs, got, tc.want)
		}
	}
}
