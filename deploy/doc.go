// Package deploy holds no code: it is the home of the deployment examples (a hardened
// systemd unit, a Kubernetes sidecar manifest with its PrometheusRule and Grafana
// dashboard ConfigMaps, a multi-stage Dockerfile) and of the tests that keep them valid
// against the real binary. See README.md.
//
// kubernetes/prometheusrule.yaml and kubernetes/grafana-dashboards.yaml are generated
// from alerts.Default() (the same source as alerts/rules.yml and dashboards/*.json); a
// test fails while they are stale.
package deploy

//go:generate go run .. generate rules --format=kubernetes --out=kubernetes
//go:generate go run .. generate dashboards --format=kubernetes --out=kubernetes
