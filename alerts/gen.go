//go:build ignore

// gen writes rules.yml from alerts.Default(). Run with `go generate ./alerts/`.
package main

import (
	"log"
	"os"

	"github.com/waba-exporter/waba_exporter/alerts"
)

func main() {
	b, err := alerts.RulesYAML(alerts.Rules(alerts.Default()))
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(alerts.RulesFile, b, 0o644); err != nil {
		log.Fatal(err)
	}
}
