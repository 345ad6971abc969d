//go:build ignore

// gen writes the dashboards JSON from dashboards.All(alerts.Default()).
// Run with `go generate ./dashboards/`.
package main

import (
	"log"
	"os"

	"github.com/waba-exporter/waba_exporter/alerts"
	"github.com/waba-exporter/waba_exporter/dashboards"
)

func main() {
	for name, d := range dashboards.All(alerts.Default()) {
		b, err := dashboards.JSON(d)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(name, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
