package testenv

import (
	"os"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// SkipSuite reports, for a TestMain, whether a suite that needs the control
// plane should be skipped: KUBEBUILDER_ASSETS is unset outside CI. Under
// CI=true a missing control plane is a broken setup, so the suite runs
// (Start installs the control plane, or fails).
func SkipSuite() bool {
	return os.Getenv(AssetsEnv) == "" && os.Getenv("CI") != "true"
}

// SetupLogging sends controller-runtime's logs to stderr: errors only,
// everything with KNAPP_TEST_VERBOSE set.
func SetupLogging() {
	level := zapcore.ErrorLevel
	if os.Getenv("KNAPP_TEST_VERBOSE") != "" {
		level = zapcore.DebugLevel
	}
	ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.Level(level)))
}
