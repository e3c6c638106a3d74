package v1alpha1_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	servingconfig "knative.dev/serving/pkg/apis/config"
	"knative.dev/serving/pkg/apis/serving"

	"knapp.dev/knapp/api/v1alpha1"
)

// The App's container names are Knative's: the name of an unnamed single
// container, and the name of Knative's own container, which Knative
// refuses for the App's.
func TestContainerNamesAreKnatives(t *testing.T) {
	if v1alpha1.UserContainerName != servingconfig.DefaultUserContainerName {
		t.Errorf("UserContainerName %q, Knative's default %q", v1alpha1.UserContainerName, servingconfig.DefaultUserContainerName)
	}
	c := corev1.Container{Name: v1alpha1.QueueProxyContainerName, Image: "busybox"}
	err := serving.ValidateUserContainer(context.Background(), c, nil, corev1.ContainerPort{ContainerPort: 8080})
	if err == nil || !strings.Contains(err.Error(), "reserved container name") {
		t.Errorf("Knative's validation of a container named %q: %v; QueueProxyContainerName should be the name it reserves", c.Name, err)
	}
}
