//go:build ignore

// gen writes the dashboards JSON from alerts.Default(), as
// `waba_exporter generate dashboards --out dashboards` would.
// Run with `go generate ./dashboards/`.
package main

import (
	"log"

	"github.com/waba-exporter/waba_exporter/alerts"
	"github.com/waba-exporter/waba_exporter/dashboards"
)

func main() {
	files, err := dashboards.Generate(alerts.Default(), dashboards.FormatGrafana)
	if err != nil {
		log.Fatal(err)
	}
	if err := alerts.WriteFiles(".", files); err != nil {
		log.Fatal(err)
	}
}
