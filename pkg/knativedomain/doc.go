// Package knativedomain builds the keys of Knative Serving's config-domain
// and config-network config maps that give knapp's Apps their hosts.
//
// Every Knative Service knapp writes carries the label knapp.dev/domain:
// platform, the label knapp.dev/app: <app> and, unless the App lost a domain
// conflict, the annotation knapp.dev/host: <first DNS label of the host>.
// Knative copies a Service's labels and annotations to its Route, and
// computes each Route host from them:
//
//   - config-domain gives routes with knapp.dev/domain=platform the
//     platform's domain, sls-<clusterName>.<domainSuffix>; other routes keep
//     the cluster's default domain.
//   - config-network's domain-template makes the main route of an App with
//     the annotation <host>.<domain>, without the namespace. Tagged routes
//     (canary-shop), Services without the annotation and other Services get
//     Knative's default {{.Name}}.{{.Namespace}}.{{.Domain}}; cluster-local
//     routes never see the template (Knative uses its default one for them).
//
// These are keys a platform merges into Knative's existing config maps, never
// whole config maps to replace them with: config/knative holds them rendered
// for the default platform config, with the kubectl patch commands, and the
// tests render hosts through Knative's own route code with them.
package knativedomain
