// Package deploy holds no code: it is the home of the deployment examples (a hardened
// systemd unit, a Kubernetes sidecar manifest, a multi-stage Dockerfile) and of the tests
// that keep them valid against the real binary. See README.md.
package deploy
